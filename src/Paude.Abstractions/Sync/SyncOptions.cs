using Paude.Errors;

namespace Paude.Sync;

/// <summary>
/// What one sync does. Immutable; <see cref="Validate"/> reports every problem together before anything changes.
/// </summary>
public sealed record SyncOptions
{
    /// <summary>The folders and files never synced, whatever the strategy (matched per path segment or as a glob on the name).</summary>
    public static IReadOnlyList<string> DefaultExcludes { get; } =
    [
        ".git", "node_modules", ".venv", "venv", "__pycache__", "*.pyc", "bin", "obj", "dist", "build", "target",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".nox", "*.egg-info",
    ];

    /// <summary>The strategy (default <see cref="SyncStrategy.Branch"/>).</summary>
    public SyncStrategy Strategy { get; init; } = SyncStrategy.Branch;

    /// <summary>The direction (default <see cref="SyncDirection.FromSession"/>).</summary>
    public SyncDirection Direction { get; init; } = SyncDirection.FromSession;

    /// <summary>Go ahead although work would be replaced; a backup ref / snapshot keeps it reachable.</summary>
    public bool Force { get; init; }

    /// <summary>Report exactly what would change and change nothing (no refs, files, manifest or session state).</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// Extra excludes on top of <see cref="DefaultExcludes"/> and <c>.gitignore</c>: a file or folder name, a glob on
    /// the name (<c>*.log</c>) or a relative path (<c>docs/generated</c>).
    /// </summary>
    public IReadOnlyList<string> Excludes { get; init; } = [];

    /// <summary>The prefix of the local branch that receives a session's commits (default <c>paude/</c>).</summary>
    public string BranchPrefix { get; init; } = "paude/";

    /// <summary>The workspace path inside the session (default <c>/pvc/workspace</c>).</summary>
    public string SessionWorkspace { get; init; } = Sessions.AgentContract.WorkspacePath;

    /// <summary>The backend that holds the session; <c>null</c> uses the default backend.</summary>
    public string? Backend { get; init; }

    /// <summary>How long to wait for another sync of the same repository to finish (default 30 s).</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a stream from or to the session (file download, git fetch, push) may go without a single byte moving
    /// before the sync gives up with <see cref="SyncTransportException"/> and applies nothing (default 60 s). A session
    /// that stops sending mid-stream would otherwise hold the sync and its lock for ever. It also bounds the wait for a
    /// push's final answer after the last byte was sent.
    /// </summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Run a fetch's probes and pack, and an incremental push of files (no new commits), through the session helper
    /// instead of an exec each time: the sync keeps one helper per session and workspace open between syncs (closed
    /// when idle for two minutes or when the <see cref="ISessionSync"/> is disposed), so a repeated sync starts no
    /// process on the host. A helper that cannot be started (an image without it and no <see cref="HelperBinary"/>),
    /// or that fails, falls back to the one-exec paths. Default <c>false</c>: one-shot hosts gain nothing from it.
    /// </summary>
    public bool UseSessionHelper { get; init; }

    /// <summary>
    /// The host's copy of the session helper (helper/build.sh), injected with <see cref="UseSessionHelper"/> when the
    /// session's image lacks it or carries another protocol version; <c>null</c>: the image's copy only.
    /// </summary>
    public string? HelperBinary { get; init; }

    /// <summary>Returns every problem with these options (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Strategy))
        {
            errors.Add($"Strategy: {(int)Strategy} is not a strategy");
        }

        if (!Enum.IsDefined(Direction))
        {
            errors.Add($"Direction: {(int)Direction} is not a direction");
        }

        if (string.IsNullOrEmpty(BranchPrefix) || !IsSafeRefPart(BranchPrefix.TrimEnd('/')))
        {
            errors.Add($"BranchPrefix: '{BranchPrefix}' is not usable in a branch name (letters, digits, '-', '_', '.', '/'; no '..', no leading '-' or '/')");
        }

        if (string.IsNullOrEmpty(SessionWorkspace) || SessionWorkspace[0] != '/' || SessionWorkspace.Contains('\0', StringComparison.Ordinal)
            || SessionWorkspace.Split('/').Any(s => s is ".." or "."))
        {
            errors.Add($"SessionWorkspace: '{SessionWorkspace}' must be an absolute path without '.' or '..' segments");
        }

        foreach (var exclude in Excludes)
        {
            if (string.IsNullOrWhiteSpace(exclude) || exclude.Contains('\0', StringComparison.Ordinal) || exclude.StartsWith('/') || exclude.Split('/').Contains(".."))
            {
                errors.Add($"Excludes: '{exclude}' must be a relative name, glob or path without '..'");
            }
        }

        if (Backend is { Length: 0 })
        {
            errors.Add("Backend: must not be empty (use null for the default backend)");
        }

        if (LockTimeout < TimeSpan.Zero)
        {
            errors.Add("LockTimeout: must not be negative");
        }

        if (StreamIdleTimeout <= TimeSpan.Zero || StreamIdleTimeout == Timeout.InfiniteTimeSpan)
        {
            errors.Add("StreamIdleTimeout: must be positive and finite");
        }

        if (HelperBinary is not null && !File.Exists(HelperBinary))
        {
            errors.Add($"HelperBinary: the file '{HelperBinary}' does not exist");
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem, if there are any.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid sync options", errors);
        }
    }

    private static bool IsSafeRefPart(string value) =>
        value.Length > 0
        && value[0] is not ('-' or '/' or '.')
        && !value.Contains("..", StringComparison.Ordinal)
        && !value.Contains("//", StringComparison.Ordinal)
        && !value.EndsWith(".lock", StringComparison.Ordinal)
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/');
}
