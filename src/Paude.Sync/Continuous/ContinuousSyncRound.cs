namespace Paude.Sync;

/// <summary>What started a round of continuous sync.</summary>
public enum ContinuousSyncTrigger
{
    /// <summary>The first round, when watching starts (catches up with everything changed before).</summary>
    Initial = 0,

    /// <summary>File-system change events, after the quiet period.</summary>
    Changes,

    /// <summary>
    /// The periodic rescan found a difference the events missed, or the watcher lost events (inotify overflow).
    /// </summary>
    Rescan,

    /// <summary>A retry after a failed round.</summary>
    Retry,

    /// <summary>
    /// The pull interval (<see cref="ContinuousSyncOptions.PullInterval"/>) passed: this round pulled the session's
    /// file changes back (<see cref="SyncResult.Direction"/> is <see cref="SyncDirection.FromSession"/>).
    /// </summary>
    Pull,
}

/// <summary>One round of continuous sync: the push it made, or the error it met.</summary>
public sealed record ContinuousSyncRound
{
    /// <summary>1 for the first round, then counting up.</summary>
    public required int Number { get; init; }

    /// <summary>What started the round.</summary>
    public required ContinuousSyncTrigger Trigger { get; init; }

    /// <summary>File-system events merged into this round (bursts are debounced into one round).</summary>
    public int Events { get; init; }

    /// <summary>When the round started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the round took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>What the push (or pull) did; <c>null</c> when the round failed. Conflicts are in <see cref="SyncResult.Conflicts"/>.</summary>
    public SyncResult? Result { get; init; }

    /// <summary>Why the round failed (nothing was half-written); <c>null</c> when it succeeded.</summary>
    public Exception? Error { get; init; }

    /// <summary>
    /// After a failure that may pass (session stopped, exec dropped, lock busy): how long until the retry. <c>null</c>
    /// when the round succeeded, or when it was refused (e.g. the session has work a push would replace) and waits for
    /// the next local change instead.
    /// </summary>
    public TimeSpan? RetryIn { get; init; }

    /// <summary>Whether the round pushed successfully (possibly with conflicts).</summary>
    public bool Succeeded => Error is null;
}
