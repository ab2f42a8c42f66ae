using Paude.Errors;

namespace Paude.Sync;

/// <summary>
/// What every watching sync shares (<see cref="ContinuousSyncOptions"/>: push on change; <see cref="TwoWaySyncOptions"/>:
/// both ways): what is synced (excludes, the session's folder, the backend) and the timing of its rounds (debounce,
/// rescan, reconnect back-off). Immutable; <see cref="Validate"/> reports every problem together.
/// </summary>
public abstract record WatchSyncOptions
{
    private protected WatchSyncOptions(TimeSpan quietPeriod, TimeSpan retryDelay)
    {
        QuietPeriod = quietPeriod;
        RetryDelay = retryDelay;
    }

    /// <summary>Extra excludes on top of <see cref="SyncOptions.DefaultExcludes"/> and <c>.gitignore</c>.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>The workspace path inside the session (default <c>/pvc/workspace</c>).</summary>
    public string SessionWorkspace { get; init; } = "/pvc/workspace";

    /// <summary>The backend that holds the session; <c>null</c> uses the default backend.</summary>
    public string? Backend { get; init; }

    /// <summary>
    /// How long the watched side(s) must be quiet after a change before a round starts: a burst becomes one round
    /// (default: 500 ms for <see cref="ContinuousSyncOptions"/>, 100 ms for <see cref="TwoWaySyncOptions"/>).
    /// </summary>
    public TimeSpan QuietPeriod { get; init; }

    /// <summary>A round (or a rescan) runs at least this often even without events: a fallback for missed events (default 10 s).</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The first wait before a failed round is retried or a lost session connection re-made (default: 1 s for
    /// <see cref="ContinuousSyncOptions"/>, 500 ms for <see cref="TwoWaySyncOptions"/>); it doubles per failure.
    /// </summary>
    public TimeSpan RetryDelay { get; init; }

    /// <summary>
    /// How long the sync waits for another sync of the same workspace or session to finish before it gives up with
    /// <see cref="SyncLockedException"/> (default 30 s): each round of <see cref="ContinuousSyncOptions"/> and the start
    /// of either watch mode, which takes the session's cluster-wide exclusion (the OpenShift backend's sync Lease) for
    /// its whole run.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between retries (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public abstract IReadOnlyList<string> GetErrors();

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem, if there are any.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException(ErrorTitle, errors);
        }
    }

    /// <summary>The title of the <see cref="InvalidOptionsException"/> <see cref="Validate"/> throws.</summary>
    private protected abstract string ErrorTitle { get; }

    /// <summary>Adds an error unless <paramref name="value"/> is more than zero (or zero, when allowed) and at most one day.</summary>
    private protected static void CheckTime(List<string> errors, string name, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > TimeSpan.FromDays(1))
        {
            errors.Add($"{name}: must be {(allowZero ? "zero or more" : "more than zero")} and at most one day");
        }
    }

    /// <summary>The back-off check both share: <see cref="MaxRetryDelay"/> not below <see cref="RetryDelay"/>.</summary>
    private protected void CheckRetryOrder(List<string> errors)
    {
        if (MaxRetryDelay < RetryDelay)
        {
            errors.Add($"MaxRetryDelay: must be at least RetryDelay ({RetryDelay.TotalMilliseconds:0} ms)");
        }
    }
}
