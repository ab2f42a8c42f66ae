using Paude.Scripting;

namespace Paude.Sync.Files;

/// <summary>
/// Bash functions every push script starts with: a push writes nothing into the session's workspace before the
/// whole archive arrived and every file was verified against the hash the host sent (stage, then rename into place).
/// A push cancelled mid-transfer, or whose channel dropped, therefore leaves each session file with its old content
/// or its new content, never a truncated one; what it left in the staging folder is removed by the next push.
/// <para>
/// The staging folder is on the workspace's file system (inside <c>.git</c> when that is a folder, else a hidden
/// <c>.paude-staging-*</c> folder in the workspace, which listings and probes skip), so placing a file is a
/// <c>rename</c>. Stale folders are removed at the start of every push: syncs of one workspace are serialised by the
/// local lock, so the only staging folder that can exist then is one an interrupted push left behind.
/// </para>
/// </summary>
internal static class StagingScripts
{
    /// <summary>Exit code: the archive was incomplete or a file did not match its hash; nothing was placed.</summary>
    public const int TransferFailed = 6;

    /// <summary>
    /// <c>paude_clean</c> (removes stale staging folders; no process unless there is one), <c>paude_stage</c>
    /// (cleans, then creates <c>$stg</c>; run in the workspace), <c>paude_receive</c> (extracts the tar on stdin into
    /// <c>$stg</c>, then checks the files named in the arrays <c>sp</c> (paths) and <c>sh</c> (SHA-256, empty = not
    /// checked: a symlink); exits 6 after removing the folder otherwise), <c>paude_place</c> (deletes <c>dp</c>, then renames
    /// <c>sp</c> into place, creating parent folders, never through a link: <see cref="SafePlaceScript"/>, exit 8 on a
    /// refusal) and <c>paude_unstage</c>.
    /// </summary>
    public static readonly string Functions = SafePlaceScript.Assignment + SessionScript.Load("staging-functions.sh");

    /// <summary>
    /// A staged upload of files. $1 = workspace (created when missing), $2 = force (1: obstacles of another type are
    /// moved to the backup folder $3; <c>dry</c>: the check alone, reported as without force, no tar, nothing changed), $3 = the backup folder (workspace-relative). stdin = a line
    /// <c>&lt;header length&gt;</c>, the header (records <c>&lt;sha256 or 64 '-' for a symlink&gt;&lt;path&gt;\0</c>
    /// for files to write, <c>D&lt;path&gt;\0</c> for files to delete), then a tar of exactly the files to write.
    /// Before reading the tar, the check of <see cref="SafePlaceScript"/> runs: without force, a type obstacle prints
    /// <c>C&lt;path&gt;</c> records and exits 4 with nothing changed; with force, <c>B&lt;path&gt;</c> per obstacle moved.
    /// Prints <c>K</c> when every deletion is done and every file is in place; exit 8 when a link stood on the way.
    /// </summary>
    public static readonly string Upload = Functions + SessionScript.Load("staged-upload.sh");
}
