using Paude.Scripting;

namespace Paude.Sync.Files;

/// <summary>
/// The fixed bash scripts the sync runs in the session (the agent image has bash, git, GNU find/sed/xargs/tar and
/// coreutils). Values always arrive as positional arguments. Output records are NUL-terminated.
/// </summary>
internal static class SessionScripts
{
    /// <summary>
    /// $1 = workspace, rest = name/path excludes. Prints <c>N</c> when the folder is missing, else one
    /// <c>&lt;sha256&gt;  &lt;path&gt;</c> record per regular file (no symlinks, devices or <c>.git</c> at any depth: the local side never takes files there; no
    /// <c>.paude-backup-*</c> folder: what a forced push moved aside stays in the session).
    /// </summary>
    public static readonly string ListFiles = SessionScript.Load("list-files.sh");

    /// <summary>
    /// $1 = workspace, $2 = branch, rest = excludes. Prints <c>N</c> without a repository; else <c>B&lt;head branch&gt;</c>,
    /// <c>C&lt;head commit&gt;</c>, <c>T&lt;commit of the branch&gt;</c>, <c>D&lt;deleted path&gt;</c> and
    /// <c>H&lt;sha256&gt;  &lt;path&gt;</c> for every modified or untracked (not ignored) file.
    /// </summary>
    public static readonly string ProbeRepository = SessionScript.Load("probe-repository.sh");

    /// <summary>
    /// $1 = workspace. Prints one <c>&lt;commit id&gt; &lt;subject&gt;</c> record per commit reachable from any ref of the
    /// session's repository (stashes included), newest first, at most 20,000; nothing without a repository.
    /// </summary>
    public static readonly string ListCommits = SessionScript.Load("list-commits.sh");

    /// <summary>$1 = workspace, $2 = initial branch: creates the repository (the first push into a session).</summary>
    public static readonly string InitRepository = SessionScript.Load("init-repository.sh");

    /// <summary>
    /// Makes the session's working tree follow a pushed commit. $1 = workspace, $2 = commit, $3 = branch,
    /// $4 = force (1 stashes the session's uncommitted work first), $5 = n, then n paths we uploaded earlier that
    /// go back to their committed state, then paths to delete. <c>git checkout</c> refuses (and changes nothing)
    /// when it would overwrite the session's own uncommitted work. Prints <c>S&lt;stash commit&gt;</c> when force stashed.
    /// Deletions never go through a link: one behind a link or a file, or of a folder, is skipped, and the rest are
    /// made by <see cref="SafePlaceScript"/> (a link swapped in meanwhile is refused, exit 8).
    /// </summary>
    public static readonly string Follow = SafePlaceScript.Assignment + SessionScript.Load("follow.sh");

    /// <summary>
    /// $1 = workspace, $2 = backup folder (workspace-relative, must not exist); stdin = NUL-terminated paths a forced
    /// push will replace. Copies each that is a file or link into the folder; prints <c>B</c> when it made the folder.
    /// </summary>
    public static readonly string BackupCopy = SessionScript.Load("backup-copy.sh");

    /// <summary>$1 = workspace, rest = relative paths to delete.</summary>
    public static readonly string Delete = SessionScript.Load("delete-files.sh");

    /// <summary>$1 = workspace; stdin = NUL-separated relative paths; stdout = a tar of exactly those paths.</summary>
    public static readonly string TarFiles = SessionScript.Load("tar-files.sh");
}
