using System.Globalization;
using Paude.Sessions;
using Paude.Sync.Continuous.Helper;
using Paude.Sync.Files;
using Paude.Sync.Manifest;

namespace Paude.Sync;

/// <summary>Everything one sync run needs, passed to the strategy implementations.</summary>
internal sealed class SyncContext(
    ISessionBackend backend, SessionName session, string workspace, string? gitDirectory, SyncOptions options,
    ManifestStore store, SyncManifest manifest, TimeProvider time, IProgress<SyncProgress>? progress, SessionHelperPool? helpers = null,
    HelperClient? lent = null)
{
    public ISessionBackend Backend { get; } = backend;

    public SessionName Session { get; } = session;

    /// <summary>The full path of the local workspace.</summary>
    public string Workspace { get; } = workspace;

    /// <summary>The local <c>.git</c> folder, or <c>null</c> for a non-git workspace.</summary>
    public string? GitDirectory { get; } = gitDirectory;

    public SyncOptions Options { get; } = options;

    public ManifestStore Store { get; } = store;

    public SyncManifest Manifest { get; } = manifest;

    public DateTimeOffset Now { get; } = time.GetUtcNow();

    public TimeProvider Time { get; } = time;

    /// <summary>Wraps a stream from or to the session so that it fails typed when nothing moves for the idle timeout.</summary>
    public Stream Guarded(Stream stream, string what) => new Transport.IdleTimeoutStream(stream, Options.StreamIdleTimeout, Time, Session, what);

    /// <summary>A sortable UTC timestamp for backup ref names (<c>20261127T061500Z</c>).</summary>
    public string Stamp => Now.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The open session helper of this session workspace: the one lent by the caller (two-way sync's own connection,
    /// <see cref="Continuous.TwoWay.CommitFetcher"/>), else the pool's (<see cref="SyncOptions.UseSessionHelper"/>),
    /// started when there is none; <c>null</c> when it is not asked for or cannot be started (the caller takes its
    /// exec path).
    /// </summary>
    public Task<HelperClient?> SessionHelperAsync(CancellationToken cancellationToken) =>
        Options.DryRun ? Task.FromResult<HelperClient?>(null)
        : lent is { Connection.IsOpen: true } ? Task.FromResult<HelperClient?>(lent)
        : Options.UseSessionHelper && helpers is not null
            ? helpers.GetAsync(Backend, Session, Options.SessionWorkspace, Options.HelperBinary, Options.StreamIdleTimeout, cancellationToken)
            : Task.FromResult<HelperClient?>(null);

    /// <summary>
    /// Ends a helper that failed or sent something invalid; the next sync starts a fresh one. A lent helper is its
    /// owner's to end: one that broke the protocol is closed already (its owner reconnects), one whose git command
    /// failed still serves its owner.
    /// </summary>
    public Task DiscardHelperAsync(HelperClient client) =>
        ReferenceEquals(client, lent) ? Task.CompletedTask : helpers?.DiscardAsync(client) ?? client.DisposeAsync().AsTask();

    /// <summary>
    /// Ends a helper that sent something the host refused (<paramref name="lie"/>: a bundle that fails verification),
    /// the lent one too: a peer that lied once is not asked again. The lent connection is failed rather than disposed
    /// (its owner's): the owner's next request fails typed and it reconnects, as after any other protocol violation.
    /// </summary>
    public Task DropLyingHelperAsync(HelperClient client, Exception lie)
    {
        if (!ReferenceEquals(client, lent))
        {
            return DiscardHelperAsync(client);
        }

        client.Connection.Fail(new HelperChannelException("the session helper sent something invalid: " + lie.Message, lie));
        return Task.CompletedTask;
    }

    public void Report(SyncStage stage, string message, long? completed = null, long? total = null) =>
        progress?.Report(new SyncProgress(stage, message, completed, total));

    /// <summary>A fresh staging folder on the workspace's file system (so moving into place is a rename).</summary>
    public string NewStagingFolder() =>
        Path.Combine(GitDirectory is not null ? Path.Combine(GitDirectory, "paude") : Workspace, PathRules.StagingPrefix + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>
    /// "Another session was synced into this workspace more recently" (BUG-003): the latest pull from a different
    /// session after this session's last sync, described for a message; <c>null</c> when there is none.
    /// </summary>
    public string? NewerSyncFromOtherSession(SessionSyncRecord? last)
    {
        var newer = Manifest.Sessions
            .Where(s => s.Key != Session.Value && s.Value.Direction == SyncDirection.FromSession && (last is null || s.Value.LastSync > last.LastSync))
            .OrderByDescending(s => s.Value.LastSync)
            .FirstOrDefault();
        return newer.Key is null
            ? null
            : $"Session '{newer.Key}' was synced into this workspace at {newer.Value.LastSync:u}, after the last sync with '{Session.Value}'.";
    }
}
