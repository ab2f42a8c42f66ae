using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>Shared helpers: a fresh session workspace path per test inside the shared containers.</summary>
public abstract class SyncTestBase(SyncFixture fixture)
{
    protected SyncFixture Fixture { get; } = fixture;

    /// <summary>A workspace path inside the session unique to this test.</summary>
    protected static string NewSessionWorkspace() => Paude.Conformance.Sync.SyncSessions.NewWorkspace();

    protected Task<SyncResult> SyncAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncDirection direction, SyncStrategy strategy, bool force = false, bool dryRun = false, CancellationToken cancellationToken = default) =>
        Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions
        {
            Direction = direction,
            Strategy = strategy,
            Force = force,
            DryRun = dryRun,
            SessionWorkspace = sessionWorkspace,
        }, null, cancellationToken);

    protected Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string sessionWorkspace, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.ToSession, SyncStrategy.Branch, force);

    protected Task<SyncResult> PullAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncStrategy strategy, bool force = false, bool dryRun = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.FromSession, strategy, force, dryRun);
}
