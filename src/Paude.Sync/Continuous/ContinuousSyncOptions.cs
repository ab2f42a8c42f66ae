using Paude.Errors;

namespace Paude.Sync;

/// <summary>
/// How continuous sync pushes and how often. Immutable; <see cref="Validate"/> reports every problem together before
/// anything changes.
/// </summary>
public sealed record ContinuousSyncOptions
{
    /// <summary>
    /// The push strategy: <see cref="SyncStrategy.Exclude"/> (default: working files only, three-way per file, a file
    /// changed on both sides is a reported conflict) or <see cref="SyncStrategy.Branch"/> (commits and working files;
    /// a round is refused while the session has uncommitted work of its own the push would replace).
    /// </summary>
    public SyncStrategy Strategy { get; init; } = SyncStrategy.Exclude;

    /// <summary>Extra excludes on top of <see cref="SyncOptions.DefaultExcludes"/> and <c>.gitignore</c> (as for a push).</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>The workspace path inside the session (default <c>/pvc/workspace</c>).</summary>
    public string SessionWorkspace { get; init; } = "/pvc/workspace";

    /// <summary>The backend that holds the session; <c>null</c> uses the default backend.</summary>
    public string? Backend { get; init; }

    /// <summary>How long the workspace must be quiet before a round starts (default 500 ms): a burst becomes one round.</summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest a never-quiet stream of changes can postpone a round (default 5 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How often the workspace is rescanned (sizes and times only, no session calls) for changes the file-system
    /// events missed (default 10 s).
    /// </summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before the first retry of a failed round (default 1 s); it doubles per failure.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// When set, the session's file changes are also pulled back this often, with the exclude strategy (three-way: a
    /// file changed on both sides is a reported conflict and neither copy is replaced). <c>null</c> (default): push only.
    /// Needs <see cref="SyncStrategy.Exclude"/>.
    /// </summary>
    public TimeSpan? PullInterval { get; init; }

    /// <summary>
    /// When watching is cancelled during a round, how long that round may still run to finish (default 5 s); only then
    /// is it cancelled too. A push cancelled mid-transfer can leave a partly written file in the session (the local
    /// workspace is never half-written), so a clean stop lets the round complete. Zero cancels at once.
    /// </summary>
    public TimeSpan StopGracePeriod { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a round waits for another sync of the same workspace to finish (default 30 s).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether file-system events are used (tests turn them off to exercise the rescan alone).</summary>
    internal bool FileSystemEvents { get; init; } = true;

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (Strategy is not (SyncStrategy.Exclude or SyncStrategy.Branch))
        {
            errors.Add($"Strategy: continuous sync pushes with exclude or branch, not '{Strategy}'");
        }

        errors.AddRange(ToSyncOptions().GetErrors().Where(e => !e.StartsWith("Strategy:", StringComparison.Ordinal)));
        Positive(errors, nameof(QuietPeriod), QuietPeriod, allowZero: true);
        Positive(errors, nameof(MaxDelay), MaxDelay, allowZero: true);
        Positive(errors, nameof(RescanInterval), RescanInterval, allowZero: false);
        Positive(errors, nameof(StopGracePeriod), StopGracePeriod, allowZero: true);
        Positive(errors, nameof(RetryDelay), RetryDelay, allowZero: false);
        Positive(errors, nameof(MaxRetryDelay), MaxRetryDelay, allowZero: false);
        if (PullInterval is { } pull)
        {
            Positive(errors, nameof(PullInterval), pull, allowZero: false);
            if (Strategy != SyncStrategy.Exclude)
            {
                errors.Add("PullInterval: pulling back needs the exclude strategy");
            }
        }

        if (MaxDelay < QuietPeriod)
        {
            errors.Add($"MaxDelay: must be at least QuietPeriod ({QuietPeriod.TotalMilliseconds:0} ms)");
        }

        if (MaxRetryDelay < RetryDelay)
        {
            errors.Add($"MaxRetryDelay: must be at least RetryDelay ({RetryDelay.TotalMilliseconds:0} ms)");
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem, if there are any.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid continuous sync options", errors);
        }
    }

    /// <summary>The options of each round's sync (a push, or a pull when <paramref name="direction"/> says so).</summary>
    internal SyncOptions ToSyncOptions(SyncDirection direction = SyncDirection.ToSession) => new()
    {
        Direction = direction,
        Strategy = Strategy,
        Excludes = Excludes,
        SessionWorkspace = SessionWorkspace,
        Backend = Backend,
        LockTimeout = LockTimeout,
    };

    private static void Positive(List<string> errors, string name, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > TimeSpan.FromDays(1))
        {
            errors.Add($"{name}: must be {(allowZero ? "zero or more" : "more than zero")} and at most one day");
        }
    }
}
