using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>Readiness probes (exec, httpGet, tcpSocket) run against the real containers; readiness follows them.</summary>
public sealed class ProbeTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static V1Container Container(string name, string script, V1Probe probe, List<V1ContainerPort>? ports = null) => new()
    {
        Name = name,
        Image = Manifests.Image,
        Command = ["sh", "-c", script],
        Ports = ports,
        ReadinessProbe = probe,
    };

    // A generous timeout: one exec probe slowed past it by a loaded machine would flip the container unready again.
    private static V1Probe Probe() => new() { PeriodSeconds = 1, FailureThreshold = 1, TimeoutSeconds = 10 };

    [Fact]
    public async Task Exec_http_and_tcp_probes_gate_readiness_and_failures_become_events()
    {
        var name = $"probe-{Guid.NewGuid().ToString("N")[..6]}";
        var exec = Probe();
        exec.Exec = new V1ExecAction { Command = ["test", "-f", "/tmp/ready"] };
        var http = Probe();
        http.HttpGet = new V1HTTPGetAction { Path = "/ready.txt", Port = "web" };
        var tcp = Probe();
        tcp.TcpSocket = new V1TCPSocketAction { Port = 8081 };
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec
            {
                TerminationGracePeriodSeconds = 1,
                Containers =
                [
                    Container("exec", "exec sleep infinity", exec),
                    Container("http", "mkdir -p /tmp/www; exec busybox httpd -f -p 8080 -h /tmp/www", http, [new V1ContainerPort { Name = "web", ContainerPort = 8080 }]),
                    Container("tcp", "exec sleep infinity", tcp),
                ],
            },
        };
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");

        async Task<V1Pod> Until(Func<V1Pod, bool> done, string what) =>
            await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), done, what);
        static bool? Ready(V1Pod p, string container) => p.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container)?.Ready;
        static string? PodReady(V1Pod p) => p.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;

        // Running but not ready: every probe fails, each failure is an Unhealthy event with the kubelet's message.
        var running = await Until(p => p.Status?.ContainerStatuses?.Count == 3 && p.Status.ContainerStatuses.All(c => c.State?.Running is not null), "all containers running");
        Assert.Equal("Running", running.Status.Phase);
        var events = await Wait.UntilAsync(
            async () => (await fx.Client.CoreV1.ListNamespacedEventAsync("paude", fieldSelector: $"involvedObject.name={name}")).Items.Where(e => e.Reason == "Unhealthy").Select(e => e.Message).ToList(),
            m => m.Any(x => x.Contains("HTTP probe failed with statuscode: 404", StringComparison.Ordinal)) && m.Any(x => x.Contains(":8081: connect: connection refused", StringComparison.Ordinal)) && m.Contains("Readiness probe failed: "),
            "Unhealthy events for the three probes");
        Assert.All(events, m => Assert.StartsWith("Readiness probe failed: ", m, StringComparison.Ordinal));
        var notReady = await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude");
        Assert.Equal("False", PodReady(notReady));
        Assert.Equal("containers with unready status: [exec http tcp]", notReady.Status.Conditions.Single(c => c.Type == "Ready").Message);
        Assert.All(notReady.Status.ContainerStatuses, c => Assert.False(c.Ready));

        // Each probe passes once its condition holds inside the real container.
        await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "-c", "exec", "--", "touch", "/tmp/ready");
        var p1 = await Until(p => Ready(p, "exec") == true, "exec probe passes");
        Assert.Equal("False", PodReady(p1));
        await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "-c", "http", "--", "sh", "-c", "echo ok > /tmp/www/ready.txt");
        await Until(p => Ready(p, "http") == true, "http probe passes");
        await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "-c", "tcp", "--", "busybox", "httpd", "-p", "8081", "-h", "/tmp");
        var ready = await Until(p => PodReady(p) == "True", "pod ready");
        Assert.All(ready.Status.ContainerStatuses, c => Assert.True(c.Ready));
        Assert.Equal("True", ready.Status.Conditions.Single(c => c.Type == "ContainersReady").Status);
        var describe = await fx.Kubectl.OkAsync("-n", "paude", "describe", "pod", name);
        Assert.Contains("Readiness:", describe, StringComparison.Ordinal);
        Assert.Contains("Unhealthy", describe, StringComparison.Ordinal);

        // A failing probe takes readiness away again (failureThreshold 1).
        await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "-c", "exec", "--", "rm", "/tmp/ready");
        var again = await Until(p => Ready(p, "exec") == false, "exec probe fails again");
        Assert.Equal("False", PodReady(again));
        Assert.Equal("Running", again.Status.Phase);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }
}
