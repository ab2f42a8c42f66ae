using Paude.Errors;

namespace Paude.Sync;

/// <summary>How two-way continuous sync runs (issue 16). Immutable; <see cref="Validate"/> reports every problem together.</summary>
public sealed record TwoWaySyncOptions
{
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

    /// <summary>Extra excludes on top of <see cref="SyncOptions.DefaultExcludes"/>.</summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>The workspace path inside the session (default <c>/pvc/workspace</c>).</summary>
    public string SessionWorkspace { get; init; } = "/pvc/workspace";

    /// <summary>The backend that holds the session; <c>null</c> uses the default backend.</summary>
    public string? Backend { get; init; }

    /// <summary>
    /// The host's copy of the session helper (helper/build.sh), injected when the session's image lacks it or carries
    /// another protocol version; <c>null</c>: the image's copy only.
    /// </summary>
    public string? HelperBinary { get; init; }

    /// <summary>
    /// How long both sides must be quiet after a change before a round starts (default 100 ms: an editor's save or a
    /// burst of writes is one round; a round meeting a half-written file is safe, the next round brings the rest).
    /// </summary>
    public TimeSpan QuietPeriod { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A round runs at least this often even without events (a fallback for missed events; default 10 s).</summary>
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first wait before reconnecting to a lost helper (default 500 ms); it doubles per failure.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between reconnection attempts (default 30 s).</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

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

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
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

        errors.AddRange(new SyncOptions { Excludes = Excludes, SessionWorkspace = SessionWorkspace, Backend = Backend, BranchPrefix = BranchPrefix }.GetErrors());
        if (HelperBinary is not null && !File.Exists(HelperBinary))
        {
            errors.Add($"HelperBinary: the file '{HelperBinary}' does not exist");
        }

        Check(errors, nameof(QuietPeriod), QuietPeriod, allowZero: true);
        Check(errors, nameof(RescanInterval), RescanInterval, allowZero: false);
        Check(errors, nameof(RetryDelay), RetryDelay, allowZero: false);
        Check(errors, nameof(MaxRetryDelay), MaxRetryDelay, allowZero: false);
        Check(errors, nameof(ReplyTimeout), ReplyTimeout, allowZero: false);
        Check(errors, nameof(FetchInterval), FetchInterval, allowZero: false);
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
            throw new InvalidOptionsException("Invalid two-way sync options", errors);
        }
    }

    private static void Check(List<string> errors, string name, TimeSpan value, bool allowZero)
    {
        if (value < TimeSpan.Zero || (!allowZero && value == TimeSpan.Zero) || value > TimeSpan.FromDays(1))
        {
            errors.Add($"{name}: must be {(allowZero ? "zero or more" : "more than zero")} and at most one day");
        }
    }
}
