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

    /// <summary>
    /// Starts a watcher in the session that pauses (SIGSTOP) the first process whose command line matches
    /// <paramref name="commandPattern"/> (pgrep -x), and returns once the watcher runs; the task it returns yields
    /// the paused pid. A paused receiver holds the sender back (pipes fill), so a test can act mid-stream.
    /// </summary>
    protected async Task<Task<string>> PauseWhenStartedAsync(SessionName session, string commandPattern)
    {
        var ready = $"/tmp/pauser-{Guid.NewGuid():N}";
        var paused = ProcessRunner.RunAsync("podman", ["exec", SyncFixture.Container(session), "bash", "-c",
            "touch \"$1\"; for i in $(seq 1 3000); do p=$(pgrep -f -x \"$2\"); [ -n \"$p\" ] && kill -STOP $p && echo $p && exit 0; sleep 0.01; done; exit 1", "bash", ready, commandPattern]);
        await Continuous.RunningWatch.EventuallyAsync(async () => (await ProcessRunner.RunAsync("podman", ["exec", SyncFixture.Container(session), "test", "-e", ready])).ExitCode == 0, "the pauser runs", TimeSpan.FromSeconds(30));
        return Task.Run(async () => (await paused).EnsureSuccess("pause " + commandPattern).StandardOutput.Trim());
    }

    /// <summary>Resumes a process paused by <see cref="PauseWhenStartedAsync"/>.</summary>
    protected static async Task ResumeAsync(SessionName session, string pid) =>
        (await ProcessRunner.RunAsync("podman", ["exec", SyncFixture.Container(session), "kill", "-CONT", pid])).EnsureSuccess("resume " + pid);

    protected Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string sessionWorkspace, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.ToSession, SyncStrategy.Branch, force);

    protected Task<SyncResult> PullAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncStrategy strategy, bool force = false, bool dryRun = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.FromSession, strategy, force, dryRun);
}
