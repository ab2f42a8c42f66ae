using Paude.Sessions;
using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>
/// The sync scenarios that must hold on every backend: Paude.Sync only uses the session contract (exec and the file
/// channel), so the same commits, files and refusals are expected over <c>podman exec</c> and over the Kubernetes exec
/// WebSocket. Derive once per backend with its <see cref="SyncSessions"/>, in a collection: the tests share sessions,
/// each in its own workspace folder, and run one after another.
/// </summary>
public abstract partial class SyncConformanceTests(SyncSessions sessions)
{
    /// <summary>The backend's sessions and sync.</summary>
    protected SyncSessions Sessions { get; } = sessions;

    private Task<SyncResult> SyncAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncDirection direction, SyncStrategy strategy, bool force = false) =>
        Sessions.Sync.SyncAsync(session, local.Path, new SyncOptions
        {
            Direction = direction,
            Strategy = strategy,
            Force = force,
            SessionWorkspace = sessionWorkspace,
        });

    private Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string sessionWorkspace, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.ToSession, SyncStrategy.Branch, force);

    private Task<SyncResult> PullAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncStrategy strategy, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.FromSession, strategy, force);
}
