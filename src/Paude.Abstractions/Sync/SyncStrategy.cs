namespace Paude.Sync;

/// <summary>How a sync combines the two sides (see the SDK spec, "Sync strategies").</summary>
public enum SyncStrategy
{
    /// <summary>
    /// From a session: its commits land on the local branch <c>&lt;prefix&gt;&lt;session&gt;</c>; the current branch,
    /// index and working tree are never touched. To a session: the current branch and working files are pushed.
    /// </summary>
    Branch = 0,

    /// <summary>
    /// From a session: its commits are merged into the current branch (fast-forward when possible); a conflicting
    /// merge is aborted with nothing changed and the paths reported.
    /// </summary>
    Merge,

    /// <summary>
    /// The target side becomes the source side. Refused when work would be lost unless forced; when forced a backup
    /// ref (and a snapshot commit of uncommitted work) is written first.
    /// </summary>
    Overwrite,

    /// <summary>
    /// Working files only (<c>.git</c> excluded, history untouched), three-way per file against the last sync;
    /// a file changed on both sides is reported as a conflict and left alone.
    /// </summary>
    Exclude,
}

/// <summary>Which way a sync moves work.</summary>
public enum SyncDirection
{
    /// <summary>From the local workspace into the session (push).</summary>
    ToSession = 0,

    /// <summary>From the session into the local workspace (pull).</summary>
    FromSession,
}
