namespace Paude.Sync;

/// <summary>
/// How continuous sync pushes and how often. Immutable; <see cref="WatchSyncOptions.Validate"/> reports every problem together before
/// anything changes.
/// </summary>
public sealed record ContinuousSyncOptions : WatchSyncOptions
{
    /// <summary>Options with the defaults (quiet period 500 ms, first retry after 1 s).</summary>
    public ContinuousSyncOptions()
        : base(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1))
    {
    }

    /// <summary>
    /// The push strategy: <see cref="SyncStrategy.Exclude"/> (default: working files only, three-way per file, a file
    /// changed on both sides is a reported conflict) or <see cref="SyncStrategy.Branch"/> (commits and working files;
    /// a round is refused while the session has uncommitted work of its own the push would replace).
    /// </summary>
    public SyncStrategy Strategy { get; init; } = SyncStrategy.Exclude;

    /// <summary>The longest a never-quiet stream of changes can postpone a round (default 5 s).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

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

    /// <summary>Whether file-system events are used (tests turn them off to exercise the rescan alone).</summary>
    internal bool FileSystemEvents { get; init; } = true;

    /// <inheritdoc />
    private protected override string ErrorTitle => "Invalid continuous sync options";

    /// <inheritdoc />
    public override IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (Strategy is not (SyncStrategy.Exclude or SyncStrategy.Branch))
        {
            errors.Add($"Strategy: continuous sync pushes with exclude or branch, not '{Strategy}'");
        }

        errors.AddRange(ToSyncOptions().GetErrors().Where(e => !e.StartsWith("Strategy:", StringComparison.Ordinal)));
        CheckTime(errors, nameof(QuietPeriod), QuietPeriod, allowZero: true);
        CheckTime(errors, nameof(MaxDelay), MaxDelay, allowZero: true);
        CheckTime(errors, nameof(RescanInterval), RescanInterval, allowZero: false);
        CheckTime(errors, nameof(StopGracePeriod), StopGracePeriod, allowZero: true);
        CheckTime(errors, nameof(RetryDelay), RetryDelay, allowZero: false);
        CheckTime(errors, nameof(MaxRetryDelay), MaxRetryDelay, allowZero: false);
        if (PullInterval is { } pull)
        {
            CheckTime(errors, nameof(PullInterval), pull, allowZero: false);
            if (Strategy != SyncStrategy.Exclude)
            {
                errors.Add("PullInterval: pulling back needs the exclude strategy");
            }
        }

        if (MaxDelay < QuietPeriod)
        {
            errors.Add($"MaxDelay: must be at least QuietPeriod ({QuietPeriod.TotalMilliseconds:0} ms)");
        }

        CheckRetryOrder(errors);
        return errors;
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
}
