using System.Text.Json;

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
            JsonSerializer.Serialize(stream, journal);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, journalPath, overwrite: true);
        RollForward(journal);
        File.Delete(journalPath);
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
            journal = JsonSerializer.Deserialize<Journal>(File.ReadAllText(journalPath));
        }
        catch (JsonException)
        {
            // The journal is renamed into place complete, so a torn one cannot exist; be safe anyway.
            journal = null;
        }

        if (journal is not null)
        {
            RollForward(journal);
        }

        File.Delete(journalPath);
        return true;
    }

    private static void RollForward(Journal journal)
    {
        foreach (var path in journal.Writes)
        {
            var staged = Path.Combine(journal.Staging, path);
            var target = Path.Combine(journal.Workspace, path);
            if (File.Exists(staged))
            {
                var dir = Path.GetDirectoryName(target)!;
                if (File.Exists(dir))
                {
                    // A local file stands where the session has a folder: the folder wins in the session's version.
                    File.Delete(dir);
                }

                Directory.CreateDirectory(dir);
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: true);
                }

                File.Move(staged, target, overwrite: true);
            }
        }

        foreach (var path in journal.Deletes)
        {
            File.Delete(Path.Combine(journal.Workspace, path));
        }

        if (Directory.Exists(journal.Staging))
        {
            Directory.Delete(journal.Staging, recursive: true);
        }
    }
}
