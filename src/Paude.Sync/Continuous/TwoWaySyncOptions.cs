namespace Paude.Sync;

/// <summary>How two-way continuous sync runs (issue 16). Immutable; <see cref="WatchSyncOptions.Validate"/> reports every problem together.</summary>
public sealed record TwoWaySyncOptions : WatchSyncOptions
{
    /// <summary>Options with the defaults (quiet period 100 ms, first reconnection after 500 ms).</summary>
    public TwoWaySyncOptions()
        : base(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500))
    {
    }

    /// <summary>What happens to a file changed on both sides since they last agreed (default <see cref="ConflictPolicy.KeepBoth"/>).</summary>
    public ConflictPolicy ConflictPolicy { get; init; } = ConflictPolicy.KeepBoth;

    /// <summary>
    /// <c>null</c> (default): both ways. <see cref="SyncDirection.FromSession"/>: the session's changes come to the
    /// workspace, nothing is written in the session; <see cref="SyncDirection.ToSession"/>: the other way round. A
    /// change on the side that is not written is left alone (and decided again when that side changes); a conflict
    /// the policy would settle by writing that side is reported once and left alone.
    /// </summary>
    public SyncDirection? Direction { get; init; }

    /// <summary>Prefix of the local branch <see cref="FetchCommits"/> writes (default <c>paude/</c>, as for <see cref="SyncOptions.BranchPrefix"/>).</summary>
    public string BranchPrefix { get; init; } = "paude/";

    /// <summary>
    /// The host's copy of the session helper (helper/build.sh), injected when the session's image lacks it or carries
    /// another protocol version; <c>null</c>: the image's copy only.
    /// </summary>
    public string? HelperBinary { get; init; }

    /// <summary>
    /// Also fetch the commits made in the session onto the local branch <c>paude/&lt;session&gt;</c> while syncing
    /// (the branch strategy of <see cref="ISessionSync"/>: only that branch is written, never while it is checked out).
    /// Needs a git repository as the local workspace. Default <c>false</c>.
    /// </summary>
    public bool FetchCommits { get; init; }

    /// <summary>How often the session's HEAD is checked for new commits when <see cref="FetchCommits"/> is on (default 2 s).</summary>
    public TimeSpan FetchInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait for one helper reply before the connection is given up and re-made (default 30 s).</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the sync base is kept (tests); <c>null</c>: the host's state folder.</summary>
    internal string? StateDirectory { get; init; }

    /// <inheritdoc />
    private protected override string ErrorTitle => "Invalid two-way sync options";

    /// <inheritdoc />
    public override IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(ConflictPolicy))
        {
            errors.Add($"ConflictPolicy: '{ConflictPolicy}' is not a policy");
        }

        if (Direction is { } direction && !Enum.IsDefined(direction))
        {
            errors.Add($"Direction: '{direction}' is not a direction");
        }

        errors.AddRange(new SyncOptions { Excludes = Excludes, SessionWorkspace = SessionWorkspace, Backend = Backend, BranchPrefix = BranchPrefix, LockTimeout = LockTimeout }.GetErrors());
        if (HelperBinary is not null && !File.Exists(HelperBinary))
        {
            errors.Add($"HelperBinary: the file '{HelperBinary}' does not exist");
        }

        CheckTime(errors, nameof(QuietPeriod), QuietPeriod, allowZero: true);
        CheckTime(errors, nameof(RescanInterval), RescanInterval, allowZero: false);
        CheckTime(errors, nameof(RetryDelay), RetryDelay, allowZero: false);
        CheckTime(errors, nameof(MaxRetryDelay), MaxRetryDelay, allowZero: false);
        CheckTime(errors, nameof(ReplyTimeout), ReplyTimeout, allowZero: false);
        CheckTime(errors, nameof(FetchInterval), FetchInterval, allowZero: false);
        CheckRetryOrder(errors);
        return errors;
    }
}
