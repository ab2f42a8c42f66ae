using Paude.Errors;

namespace Paude.Sync;

/// <summary>The base of the errors a sync throws on purpose.</summary>
public abstract class SyncException : PaudeException
{
    /// <summary>Creates the exception.</summary>
    protected SyncException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The sync would lose work (commits only one side has, uncommitted changes, a newer sync from another session) and
/// was refused; nothing was changed. Retry with <see cref="SyncOptions.Force"/> to keep that work under backup refs.
/// </summary>
public sealed class UnsafeSyncException : SyncException
{
    /// <summary>Creates the exception.</summary>
    public UnsafeSyncException(string summary, IReadOnlyList<string> commitsAtRisk, IReadOnlyList<string> pathsAtRisk)
        : base(Describe(summary, commitsAtRisk, pathsAtRisk))
    {
        CommitsAtRisk = commitsAtRisk;
        PathsAtRisk = pathsAtRisk;
    }

    /// <summary>The commits that would become unreachable, as <c>&lt;short sha&gt; &lt;subject&gt;</c>.</summary>
    public IReadOnlyList<string> CommitsAtRisk { get; }

    /// <summary>The paths whose uncommitted content would be replaced.</summary>
    public IReadOnlyList<string> PathsAtRisk { get; }

    private static string Describe(string summary, IReadOnlyList<string> commits, IReadOnlyList<string> paths)
    {
        var text = summary;
        if (commits.Count > 0)
        {
            text += $"{Environment.NewLine}Commits at risk:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", commits)}";
        }

        if (paths.Count > 0)
        {
            text += $"{Environment.NewLine}Uncommitted paths at risk:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", paths)}";
        }

        return text + $"{Environment.NewLine}Nothing was changed. Use the branch strategy, or force to keep this work under a backup ref.";
    }
}

/// <summary>A merge conflicts; it was aborted, nothing was changed, and the conflicting paths are listed.</summary>
public sealed class SyncConflictException(IReadOnlyList<string> paths)
    : SyncException($"The merge conflicts in {paths.Count} path(s): {string.Join(", ", paths)}. It was aborted; nothing was changed. Use the branch strategy and merge by hand.")
{
    /// <summary>The conflicting paths.</summary>
    public IReadOnlyList<string> Paths { get; } = paths;
}

/// <summary>The strategy needs a git repository where there is none.</summary>
public sealed class NotAGitRepositoryException(string location, string detail)
    : SyncException($"'{location}' is not a git repository: {detail}")
{
    /// <summary>The folder that is not a repository (local path or session path).</summary>
    public string Location { get; } = location;
}

/// <summary>
/// Another sync of the same repository or session held its lock for longer than <see cref="SyncOptions.LockTimeout"/>:
/// a local lock file, or a backend's cluster-wide exclusion (<see cref="Sessions.ISessionSyncExclusion"/>) held by a
/// sync or an upgrade elsewhere.
/// </summary>
public sealed class SyncLockedException : SyncException
{
    /// <summary>A local lock file was held.</summary>
    /// <param name="lockFile">The lock file.</param>
    /// <param name="waited">How long the sync waited for it.</param>
    public SyncLockedException(string lockFile, TimeSpan waited)
        : base($"Another sync of this repository is running (lock '{lockFile}' held for more than {waited.TotalSeconds:0.#} s); try again when it has finished.")
    {
        LockFile = lockFile;
    }

    /// <summary>A cluster-wide exclusion was held by another holder.</summary>
    /// <param name="lockName">What holds the exclusion (e.g. <c>Lease team-a/paude-sync-my-task</c>).</param>
    /// <param name="waited">How long the sync waited for it.</param>
    /// <param name="holder">Who holds it (a host/process identity; never a secret).</param>
    /// <param name="expiresAt">When it expires unless its holder renews it.</param>
    public SyncLockedException(string lockName, TimeSpan waited, string holder, DateTimeOffset expiresAt)
        : base($"Another sync or an upgrade of this session is running ({lockName} held by '{holder}' for more than {waited.TotalSeconds:0.#} s; it expires at {expiresAt:u} unless renewed); try again when it has finished.")
    {
        LockFile = lockName;
        Holder = holder;
        ExpiresAt = expiresAt;
    }

    /// <summary>The lock file, or what holds a cluster-wide exclusion.</summary>
    public string LockFile { get; }

    /// <summary>The holder of a cluster-wide exclusion; <c>null</c> for a lock file.</summary>
    public string? Holder { get; }

    /// <summary>When a cluster-wide exclusion expires unless renewed; <c>null</c> for a lock file.</summary>
    public DateTimeOffset? ExpiresAt { get; }
}

/// <summary>The session side failed in a way the sync cannot work around (the message carries the session's error).</summary>
public sealed class SyncTransportException(string message, Exception? inner = null)
    : SyncException(message, inner);

/// <summary>
/// A local path the sync would write or delete passes through a symbolic link (to outside the workspace or inside
/// it, planted by a session or made by the user): a sync never writes or deletes through a link, the way git refuses
/// to write beyond a symlinked leading path. Nothing was changed.
/// </summary>
public sealed class UnsafeLocalPathException(string path, string link)
    : SyncException($"Refused: the local path '{path}' passes through the symbolic link '{link}'; a sync never writes or deletes through a link. Nothing was changed. Replace the link with a folder (or remove it) and sync again.")
{
    /// <summary>The workspace-relative path that would have been written or deleted.</summary>
    public string Path { get; } = path;

    /// <summary>The workspace-relative link on its way.</summary>
    public string Link { get; } = link;
}

/// <summary>
/// A session still holds work that was never synced back (commits, working files), and deleting it was refused;
/// nothing was deleted. Sync it back first, or delete with force.
/// </summary>
public sealed class UnsyncedWorkException(string session, UnsyncedWork work)
    : SyncException(Describe(session, work))
{
    /// <summary>What would have been lost.</summary>
    public UnsyncedWork Work { get; } = work;

    private static string Describe(string session, UnsyncedWork work)
    {
        var text = $"Session '{session}' holds work that was never synced back: {work.Commits.Count} commit(s) and {work.Paths.Count} file(s). Nothing was deleted.";
        if (work.Commits.Count > 0)
        {
            text += $"{Environment.NewLine}Commits not in the local workspace:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", work.Commits.Take(50))}";
        }

        if (work.Paths.Count > 0)
        {
            text += $"{Environment.NewLine}Files not in the local workspace:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", work.Paths.Take(50))}";
        }

        return text + $"{Environment.NewLine}Sync it back first (paude sync), or delete with --force.";
    }
}

/// <summary>
/// An operation that replaces the session's containers (an upgrade) was refused because a sync of that session is
/// running: on this machine (it holds the session's sync lock file) or, on a backend with a cluster-wide exclusion
/// (<see cref="Sessions.ISessionSyncExclusion"/>), anywhere; nothing was changed. Run it again when the sync ended.
/// </summary>
public sealed class SessionSyncInProgressException : SyncException
{
    /// <summary>The session's local sync lock file is held.</summary>
    /// <param name="session">The session.</param>
    /// <param name="lockFile">The lock file.</param>
    public SessionSyncInProgressException(string session, string lockFile)
        : base($"A sync of session '{session}' is running (it holds '{lockFile}'); nothing was changed. Try again when it has finished.")
    {
        Session = session;
        LockFile = lockFile;
    }

    /// <summary>The session's cluster-wide exclusion is held by a sync (of any machine).</summary>
    /// <param name="session">The session.</param>
    /// <param name="lockName">What holds the exclusion (e.g. <c>Lease team-a/paude-sync-my-task</c>).</param>
    /// <param name="holder">Who holds it (a host/process identity; never a secret).</param>
    /// <param name="expiresAt">When it expires unless its holder renews it (a killed sync's never is).</param>
    public SessionSyncInProgressException(string session, string lockName, string holder, DateTimeOffset expiresAt)
        : base($"A sync of session '{session}' is running ({lockName} is held by '{holder}'); nothing was changed. Try again when it has finished; a sync that was killed leaves it until it expires at {expiresAt:u}.")
    {
        Session = session;
        LockFile = lockName;
        Holder = holder;
        ExpiresAt = expiresAt;
    }

    /// <summary>The session.</summary>
    public string Session { get; }

    /// <summary>The session's sync lock file, or what holds its cluster-wide exclusion.</summary>
    public string LockFile { get; }

    /// <summary>The holder of the cluster-wide exclusion; <c>null</c> for the lock file.</summary>
    public string? Holder { get; }

    /// <summary>When the cluster-wide exclusion expires unless renewed; <c>null</c> for the lock file.</summary>
    public DateTimeOffset? ExpiresAt { get; }
}
