using System.Text.Json;
using Paude.Sync.Manifest;

namespace Paude.Sync.Files;

/// <summary>
/// Moves staged files into the workspace so an interruption leaves it as before or as after: every new file is
/// complete in a staging folder first; a journal listing the moves is written (atomically) before the first one;
/// an interrupted apply is finished from the journal at the start of the next sync (roll forward).
/// </summary>
internal static class LocalApplier
{
    private const string JournalName = "apply-journal.json";

    internal sealed record Journal(string Workspace, string Staging, List<string> Writes, List<string> Deletes);

    public static void Apply(string stateDirectory, string workspace, string staging, IReadOnlyList<string> writes, IReadOnlyList<string> deletes)
    {
        var journalPath = Path.Combine(stateDirectory, JournalName);
        var journal = new Journal(workspace, staging, [.. writes], [.. deletes]);
        var temp = journalPath + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, journal, SyncJson.Default.Journal);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, journalPath, overwrite: true);
        try
        {
            RollForward(journal);
        }
        finally
        {
            // A failed apply is reported once; a journal left behind would fail every later sync the same way. What
            // was moved stays (each move is whole), and the next sync compares the workspace afresh.
            File.Delete(journalPath);
        }
    }

    /// <summary>Finishes an apply a killed process left behind (call with the sync lock held).</summary>
    public static bool Recover(string stateDirectory)
    {
        var journalPath = Path.Combine(stateDirectory, JournalName);
        if (!File.Exists(journalPath))
        {
            return false;
        }

        Journal? journal;
        try
        {
            journal = JsonSerializer.Deserialize(File.ReadAllText(journalPath), SyncJson.Default.Journal);
        }
        catch (JsonException)
        {
            // The journal is renamed into place complete, so a torn one cannot exist; be safe anyway.
            journal = null;
        }

        try
        {
            if (journal is not null)
            {
                RollForward(journal);
            }
        }
        finally
        {
            File.Delete(journalPath);
        }

        return true;
    }

    /// <summary>
    /// Deletes first (a folder the session turned into a file is emptied by them), then moves each staged file in.
    /// Every path is checked for a link on its way right before it is touched; only regular files are deleted, and
    /// only a folder left empty by the deletes is replaced by a file (the plan made every other type change a conflict).
    /// </summary>
    private static void RollForward(Journal journal)
    {
        foreach (var path in journal.Deletes)
        {
            WorkspacePath.EnsureNoLinkOnTheWay(journal.Workspace, path);
            var target = Path.Combine(journal.Workspace, path);
            if (WorkspacePath.KindOf(target) == WorkspacePath.Kind.File)
            {
                File.Delete(target);
            }
        }

        foreach (var path in journal.Writes)
        {
            var staged = Path.Combine(journal.Staging, path);
            if (!File.Exists(staged))
            {
                continue;
            }

            WorkspacePath.EnsureNoLinkOnTheWay(journal.Workspace, path);
            var target = Path.Combine(journal.Workspace, path);
            var dir = Path.GetDirectoryName(target)!;
            Directory.CreateDirectory(dir);
            if (WorkspacePath.KindOf(target) == WorkspacePath.Kind.Folder)
            {
                WorkspacePath.RemoveEmptyTree(target);
            }

            File.Move(staged, target, overwrite: true);
        }

        if (Directory.Exists(journal.Staging))
        {
            Directory.Delete(journal.Staging, recursive: true);
        }
    }
}
