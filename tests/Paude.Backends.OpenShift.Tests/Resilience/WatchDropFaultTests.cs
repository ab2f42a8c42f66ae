using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Backends.OpenShift.Tests.Sync;
using Paude.Sessions;
using Paude.Sync;
using Paude.Testing.Kubernetes;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Resilience;

/// <summary>
/// An unreliable API server: every watch ends early (or its connection is dropped), connections drop on other calls,
/// and a fifth of the remaining calls answer 429 or 500. The whole lifecycle and a sync round trip still succeed,
/// and nothing of the session is left afterwards.
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class WatchDropFaultTests(KubeServerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task With_watches_ended_and_dropped_and_a_fifth_of_calls_failing_lifecycle_and_sync_still_succeed_and_nothing_is_orphaned()
    {
        var name = fixture.NewName("watchdrop");
        var backend = fixture.Backend;
        var faults = fixture.Server.Faults;
        var before = faults.Injected;
        using var local = await LocalRepo.CreateAsync();
        var x = await local.CommitAsync("README.md", "base\n", "X");
        const string Ws = "/pvc/workspace/repo";
        AddFaults(faults);
        try
        {
            Assert.Equal(SessionStatus.Running, (await backend.CreateAsync(fixture.Spec(name))).Status);
            Assert.Equal(SessionStatus.Stopped, (await backend.StopAsync(name)).Status);
            Assert.Equal(SessionStatus.Running, (await backend.StartAsync(name)).Status);

            // A sync round trip under the same faults: push, the agent commits, pull it back on a branch.
            var pushed = await Sync(name, local, SyncDirection.ToSession);
            Assert.Equal(1, pushed.CommitsTransferred);
            var agentCommit = await new OpenShiftSyncSessions(fixture).CommitAsync(name, Ws, "agent.txt", "from the agent\n", "agent work");
            var pulled = await Sync(name, local, SyncDirection.FromSession);
            Assert.Equal(1, pulled.CommitsTransferred);
            Assert.Equal(agentCommit, await local.GitAsync("rev-parse", $"paude/{name.Value}"));
            Assert.Equal(x, await local.GitAsync("rev-parse", "main"));

            Assert.True(await backend.DeleteAsync(name));
            Assert.False(await backend.DeleteAsync(name));
            Assert.True(faults.Injected - before >= 20, $"only {faults.Injected - before} faults fired");
            output.WriteLine($"{faults.Injected - before} faults fired during create/stop/start/sync/delete");
        }
        finally
        {
            faults.Clear();
            await backend.DeleteAsync(name);
        }

        Assert.Empty(await fixture.SessionObjectsAsync(name));
        Assert.Equal(string.Empty, (await fixture.KubectlAsync("get", "replicaset", "-l", $"paude.io/session-name={name.Value}", "-o", "name")).Trim());
        var containers = await Podman.LinesAsync("ps", "-a", "--filter", $"label=paude.kubetest={fixture.Server.ServerId}", "--format", "{{.Names}}");
        Assert.DoesNotContain(containers, c => c.Contains(name.Value, StringComparison.Ordinal));
        var volumes = await Podman.LinesAsync("volume", "ls", "--filter", $"label=paude.kubetest={fixture.Server.ServerId}", "--format", "{{.Name}}");
        Assert.DoesNotContain(volumes, v => v.Contains(name.Value, StringComparison.Ordinal));
    }

    private static void AddFaults(KubernetesFaults faults)
    {
        // Watches: every one ends silently after 200 ms, and a third lose their connection before any answer.
        faults.Add(new FaultRule { Verb = "watch", Action = FaultAction.DropConnection, Probability = 0.3 });
        faults.Add(new FaultRule { Verb = "watch", Action = FaultAction.EndWatch, WatchDuration = TimeSpan.FromMilliseconds(200) });

        // Everything else (reads, writes, exec handshakes): dropped connections, then 10 % 429 and 10 % 500.
        foreach (var verb in new[] { "get", "list", "create", "update", "patch", "delete" })
        {
            faults.Add(new FaultRule { Verb = verb, Action = FaultAction.DropConnection, Probability = 0.05 });
            faults.Add(new FaultRule { Verb = verb, StatusCode = 429, Probability = 0.1, RetryAfter = TimeSpan.FromMilliseconds(100) });
            faults.Add(new FaultRule { Verb = verb, StatusCode = 500, Probability = 0.1 });
        }
    }

    private Task<SyncResult> Sync(SessionName name, LocalRepo local, SyncDirection direction) =>
        fixture.Sync.SyncAsync(name, local.Path, new SyncOptions { Direction = direction, Strategy = SyncStrategy.Branch, SessionWorkspace = "/pvc/workspace/repo" });
}
