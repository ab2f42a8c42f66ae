using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// A real sync holds the session's lock for its whole run: an upgrade of that session started meanwhile is refused
/// with <see cref="SessionSyncInProgressException"/> and changes nothing; once the sync ended the upgrade goes through,
/// and the sync record and the session's repository are still what the sync left (the next pull has nothing to do).
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class UpgradeDuringSyncTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task An_upgrade_is_refused_while_a_sync_of_the_session_runs_and_goes_through_after_it()
    {
        var session = await Fixture.SessionAsync("upgsync");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "one", "first");
        var agentBefore = await ContainerIdAsync(session);

        // The sync stops in its first progress report (it has taken its locks) until the upgrade was tried.
        using var progress = new PausingProgress();
        var options = new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Branch, SessionWorkspace = ws };
        var sync = Task.Run(() => Fixture.Sync.SyncAsync(session, local.Path, options, progress));
        await progress.Reached.Task.WaitAsync(TimeSpan.FromMinutes(2));

        var refused = await Assert.ThrowsAsync<SessionSyncInProgressException>(() => Fixture.Backend.UpgradeAsync(session, new SessionUpgrade()));
        Assert.Equal(session.Value, refused.Session);
        Assert.Equal(agentBefore, await ContainerIdAsync(session));
        progress.Release();
        var pushed = await sync;
        Assert.Equal(1, pushed.CommitsTransferred);

        var upgraded = await Fixture.Backend.UpgradeAsync(session, new SessionUpgrade());
        Assert.Equal(SessionStatus.Running, upgraded.Status);
        Assert.NotEqual(agentBefore, await ContainerIdAsync(session));

        // The session's repository and the sync record survived: a pull brings nothing and loses nothing.
        var pulled = await PullAsync(session, local, ws, SyncStrategy.Branch);
        Assert.Equal(0, pulled.CommitsTransferred);
        Assert.Empty(pulled.Conflicts);
        Assert.Equal("one", (await Fixture.ExecAsync(session, "cat", $"{ws}/a.txt")));
    }

    private static async Task<string> ContainerIdAsync(SessionName session) =>
        (await Podman.RunAsync(["container", "inspect", "--format", "{{.Id}}", SyncFixture.Container(session)])).EnsureSuccess("inspect").StandardOutput.Trim();

    /// <summary>Blocks the sync's thread in its first report until <see cref="Release"/> (a real sync, paused mid-run).</summary>
    private sealed class PausingProgress : IProgress<SyncProgress>, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Report(SyncProgress value)
        {
            if (Reached.TrySetResult())
            {
                _release.Wait(TimeSpan.FromMinutes(2));
            }
        }

        public void Release() => _release.Set();

        public void Dispose() => _release.Dispose();
    }
}
