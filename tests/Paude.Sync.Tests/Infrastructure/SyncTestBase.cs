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
    /// Deletes <paramref name="localFile"/> while a push streams: a watcher in the session pauses (SIGSTOP) the first
    /// process matching <paramref name="receiverPattern"/> (pgrep -x) once it runs — a paused receiver holds the sender
    /// back, pipes full — then the file goes and the receiver resumes. Returns once the watcher runs; the task it
    /// returns ends after the resume.
    /// </summary>
    protected static async Task<Task> DeleteMidStreamAsync(SessionName session, string receiverPattern, string localFile)
    {
        var ready = $"/tmp/pauser-{Guid.NewGuid():N}";
        var paused = Podman.RunAsync(["exec", SyncFixture.Container(session), "bash", "-c",
            "touch \"$1\"; for i in $(seq 1 3000); do p=$(pgrep -f -x \"$2\"); [ -n \"$p\" ] && kill -STOP $p && echo $p && exit 0; sleep 0.01; done; exit 1", "bash", ready, receiverPattern]);
        await Eventually.UntilAsync(async () => (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ready])).ExitCode == 0, running => running, "the pauser runs", TimeSpan.FromSeconds(30));
        return Task.Run(async () =>
        {
            var pid = (await paused).EnsureSuccess("pause " + receiverPattern).StandardOutput.Trim();
            File.Delete(localFile);
            (await Podman.RunAsync(["exec", SyncFixture.Container(session), "kill", "-CONT", pid])).EnsureSuccess("resume " + pid);
        });
    }

    protected Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string sessionWorkspace, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.ToSession, SyncStrategy.Branch, force);

    protected Task<SyncResult> PullAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncStrategy strategy, bool force = false, bool dryRun = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.FromSession, strategy, force, dryRun);
}
