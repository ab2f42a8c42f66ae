namespace Paude.Sync;

/// <summary>
/// A running two-way sync between a local workspace and a session (from
/// <see cref="IContinuousSync.StartTwoWayAsync"/>). Rounds run one at a time, after local file events or the session
/// helper's watch events (debounced), a flush, a resume, or the rescan interval. Dispose to stop it.
/// </summary>
public interface ITwoWaySync : IAsyncDisposable
{
    /// <summary>Where the sync is now (a snapshot; safe from any thread).</summary>
    TwoWaySyncStatus Status { get; }

    /// <summary>The rounds as they finish, until the sync stops (the latest 1,000 are kept for a slow reader).</summary>
    IAsyncEnumerable<TwoWaySyncRound> ReadRoundsAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops starting rounds (a round in flight finishes); changes are still noticed and applied on resume.</summary>
    void Pause();

    /// <summary>Starts rounds again, with one right away when anything changed while paused.</summary>
    void Unpause();

    /// <summary>Runs a round now (also while paused) and returns it once applied.</summary>
    /// <exception cref="InvalidOperationException">The sync has stopped.</exception>
    Task<TwoWaySyncRound> FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Completes when the sync stops: disposed, or a conflict under <see cref="ConflictPolicy.Stop"/>.</summary>
    Task Completion { get; }
}

/// <summary>The state of a two-way sync.</summary>
public enum TwoWaySyncState
{
    /// <summary>Connecting to the session helper.</summary>
    Connecting = 0,

    /// <summary>Watching both sides and running rounds.</summary>
    Running,

    /// <summary>Paused by <see cref="ITwoWaySync.Pause"/>.</summary>
    Paused,

    /// <summary>The helper connection was lost; waiting to reconnect (with back-off).</summary>
    Reconnecting,

    /// <summary>Stopped (disposed, or stopped by a conflict under <see cref="ConflictPolicy.Stop"/>).</summary>
    Stopped,
}

/// <summary>One file changed on both sides since they last agreed, and how it was settled.</summary>
/// <param name="Path">The file, relative to the workspace.</param>
/// <param name="Outcome">
/// What was done: kept-both, kept-local, kept-session, restored-edit, stopped, or left-alone (one-way: the policy would
/// write the side that is not written). A stopped or left-alone conflict stays open and is not reported again — also
/// after a restart — until both sides agree, one side deletes its version (the other is restored there), or either
/// side changes it again (a new conflict).
/// </param>
/// <param name="CopyPath">The conflict copy (session's version) under <see cref="ConflictPolicy.KeepBoth"/>, else <c>null</c>.</param>
public sealed record TwoWaySyncConflict(string Path, string Outcome, string? CopyPath);

/// <summary>One two-way round.</summary>
public sealed record TwoWaySyncRound
{
    /// <summary>1 for the first round, then counting up.</summary>
    public required int Number { get; init; }

    /// <summary>What started it: initial, changes, session-changes, flush, resume, rescan or reconnect.</summary>
    public required string Trigger { get; init; }

    /// <summary>When it started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long it took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Files brought from the session.</summary>
    public int Pulled { get; init; }

    /// <summary>Files sent to the session.</summary>
    public int Pushed { get; init; }

    /// <summary>Local files deleted because the session deleted them.</summary>
    public int DeletedLocal { get; init; }

    /// <summary>Session files deleted because they were deleted locally.</summary>
    public int DeletedSession { get; init; }

    /// <summary>Conflicts met in this round (each is reported in one round only, once settled).</summary>
    public IReadOnlyList<TwoWaySyncConflict> Conflicts { get; init; } = [];

    /// <summary>Paths that changed while the round ran; they are decided again next round.</summary>
    public int Deferred { get; init; }

    /// <summary>Why the round failed (the helper connection was lost); <c>null</c> when it ran.</summary>
    public Exception? Error { get; init; }

    /// <summary>Whether the sync stopped after this round (a conflict under <see cref="ConflictPolicy.Stop"/>).</summary>
    public bool Stopped { get; init; }
}

/// <summary>A snapshot of a two-way sync's progress.</summary>
public sealed record TwoWaySyncStatus
{
    /// <summary>The state.</summary>
    public TwoWaySyncState State { get; init; }

    /// <summary>Rounds run (failed ones included).</summary>
    public int Rounds { get; init; }

    /// <summary>Files pulled in all rounds.</summary>
    public int Pulled { get; init; }

    /// <summary>Files pushed in all rounds.</summary>
    public int Pushed { get; init; }

    /// <summary>Files deleted on either side in all rounds.</summary>
    public int Deleted { get; init; }

    /// <summary>Conflicts reported in all rounds.</summary>
    public int Conflicts { get; init; }

    /// <summary>Helper reconnections.</summary>
    public int Reconnections { get; init; }

    /// <summary>Session commits fetched onto <c>paude/&lt;session&gt;</c> (<see cref="TwoWaySyncOptions.FetchCommits"/>, <see cref="TwoWaySyncOptions.BranchPrefix"/>).</summary>
    public int CommitsFetched { get; init; }

    /// <summary>Why the last commit fetch failed or was refused (e.g. the branch is checked out); <c>null</c> after a good one.</summary>
    public string? FetchError { get; init; }

    /// <summary>The latest round, or <c>null</c> before the first.</summary>
    public TwoWaySyncRound? LastRound { get; init; }
}
