using System.Text;

namespace Paude.Sync.Files;

/// <summary>
/// The way back of a forced push: before it replaces session files the last sync did not write (the agent's work),
/// a copy of each goes into <c>.paude-backup-&lt;stamp&gt;</c> in the session workspace (<see cref="SessionScripts.BackupCopy"/>),
/// the folder every listing skips and a forced staged upload moves type obstacles into. The git stash keeps tracked
/// edits only, and only on the git path: the copy keeps untracked files too.
/// </summary>
internal static class SessionBackup
{
    /// <summary>The backup folder of this run, relative to the session workspace.</summary>
    public static string Folder(SyncContext context) => $".paude-backup-{context.Stamp}";

    /// <summary>
    /// Copies <paramref name="paths"/> (workspace-relative) in the session; returns the backup folder's session path,
    /// or <c>null</c> when none of them is there any more. A failure (the folder exists already: planted) stops the
    /// push before anything was replaced.
    /// </summary>
    public static async Task<string?> CopyAsync(SyncContext context, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0)
        {
            return null;
        }

        var stdin = new MemoryStream();
        foreach (var path in paths)
        {
            stdin.Write(Encoding.UTF8.GetBytes(path));
            stdin.WriteByte(0);
        }

        var workspace = context.Options.SessionWorkspace;
        var output = await SessionCommand.RunCheckedAsync(
            context.Backend, context.Session, "Copying the session files a forced push replaces to a backup folder",
            ["bash", "-c", SessionScripts.BackupCopy, "bash", workspace, Folder(context)], stdin.ToArray(), cancellationToken).ConfigureAwait(false);

        // The session only says whether it made the folder; the name is ours.
        return SessionCommand.Records(output).Contains("B") ? $"{workspace.TrimEnd('/')}/{Folder(context)}" : null;
    }
}
