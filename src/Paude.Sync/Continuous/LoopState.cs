using Paude.Sessions;
using Paude.Sync.Files;

namespace Paude.Sync.Continuous;

/// <summary>The loop's state between rounds (only the loop touches it).</summary>
internal sealed class LoopState(SessionName session, string root, bool isGit, ContinuousSyncOptions options, PathRules rules, WorkspaceWatcher watcher, TimeProvider time)
{
    public SessionName Session { get; } = session;

    public string Root { get; } = root;

    public bool IsGit { get; } = isGit;

    public ContinuousSyncOptions Options { get; } = options;

    public PathRules Rules { get; } = rules;

    public WorkspaceWatcher Watcher { get; } = watcher;

    public LocalSnapshot? Snapshot { get; set; }

    public int Failures { get; set; }

    /// <summary>When the last pull started (<see cref="TimeProvider.GetTimestamp"/>); the first pull is one interval in.</summary>
    public long LastPull { get; set; } = time.GetTimestamp();
}
