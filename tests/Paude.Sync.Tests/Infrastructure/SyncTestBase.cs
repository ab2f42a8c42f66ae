using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>Shared helpers: a fresh session workspace path per test inside the shared containers, the first push, the checks of a refused push.</summary>
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

    /// <summary>
    /// The start of most push tests: a fresh workspace in the shared session <c>s3</c> holding the first push of
    /// <paramref name="local"/>, into which <paramref name="files"/> were written and committed ("X").
    /// </summary>
    protected Task<(SessionName Session, string Workspace)> PushedAsync(LocalRepo local, params (string Path, string Content)[] files) =>
        PushedAsync("s3", local, files);

    /// <summary>The same in the shared session <paramref name="sessionName"/>.</summary>
    protected async Task<(SessionName Session, string Workspace)> PushedAsync(string sessionName, LocalRepo local, params (string Path, string Content)[] files)
    {
        ArgumentNullException.ThrowIfNull(local);
        var session = await Fixture.SessionAsync(sessionName);
        var ws = NewSessionWorkspace();
        foreach (var (path, content) in files)
        {
            local.Write(path, content);
        }

        await local.GitAsync("add", "-A");
        await local.GitAsync("commit", "-q", "-m", "X");
        await PushAsync(session, local, ws);
        return (session, ws);
    }

    /// <summary>
    /// Edits on both sides since the last push (<paramref name="agent"/> in the session, <paramref name="user"/>
    /// locally), then <paramref name="push"/>: it must refuse naming exactly the agent's paths, and the session must
    /// still hold the agent's edits and, at <paramref name="unchanged"/>, what was pushed before.
    /// </summary>
    protected async Task<UnsafeSyncException> AssertPushRefusedOverAgentEditsAsync(
        SessionName session, string ws, LocalRepo local, Func<Task> push,
        (string Path, string Content)[] agent, (string Path, string Content)[] user, (string Path, string Content)[] unchanged)
    {
        ArgumentNullException.ThrowIfNull(local);
        foreach (var (path, content) in agent)
        {
            await Fixture.WriteAsync(session, ws, path, content);
        }

        foreach (var (path, content) in user)
        {
            local.Write(path, content);
        }

        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(push);
        Assert.Equal([.. agent.Select(a => a.Path).Order(StringComparer.Ordinal)], refused.PathsAtRisk);
        await AssertSessionHoldsAsync(session, ws, [.. agent, .. unchanged]);
        return refused;
    }

    /// <summary>Each file of <paramref name="files"/> has that content in the session workspace.</summary>
    protected async Task AssertSessionHoldsAsync(SessionName session, string ws, params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            Assert.Equal(content, await Fixture.ExecAsync(session, "cat", ws + "/" + path));
        }
    }

    protected Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string sessionWorkspace, bool force = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.ToSession, SyncStrategy.Branch, force);

    protected Task<SyncResult> PullAsync(SessionName session, LocalRepo local, string sessionWorkspace, SyncStrategy strategy, bool force = false, bool dryRun = false) =>
        SyncAsync(session, local, sessionWorkspace, SyncDirection.FromSession, strategy, force, dryRun);
}
