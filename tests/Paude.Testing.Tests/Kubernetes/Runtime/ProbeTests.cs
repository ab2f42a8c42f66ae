using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>Readiness and startup probes (exec, httpGet, tcpSocket) run against the real containers; readiness follows them.</summary>
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

    [Fact]
    public async Task A_startup_probe_gates_readiness_until_its_first_success_and_then_never_runs_again()
    {
        var name = $"startup-{Guid.NewGuid().ToString("N")[..6]}";

        // Each run of the probe leaves a line in /tmp/probes, so the test sees whether it still runs.
        var startup = Probe();
        startup.FailureThreshold = 1000;
        startup.Exec = new V1ExecAction { Command = ["sh", "-c", "echo run >> /tmp/probes; test -f /tmp/started"] };
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1PodSpec
            {
                TerminationGracePeriodSeconds = 1,
                Containers = [new V1Container { Name = "main", Image = Manifests.Image, Command = ["sh", "-c", "exec sleep infinity"], StartupProbe = startup }],
            },
        };
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");

        async Task<V1Pod> Until(Func<V1Pod, bool> done, string what) =>
            await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), done, what);
        async Task<int> ProbeRuns() =>
            int.Parse((await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "--", "sh", "-c", "cat /tmp/probes 2>/dev/null | wc -l")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // Running, probed, failing: not ready (without the startup prober it was ready as soon as it ran).
        await Until(p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null, "container running");
        await Wait.UntilAsync(ProbeRuns, n => n >= 2, "the startup probe runs");
        var starting = await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude");
        Assert.False(starting.Status.ContainerStatuses.Single().Ready);
        Assert.Equal("False", starting.Status.Conditions.Single(c => c.Type == "Ready").Status);
        var events = (await fx.Client.CoreV1.ListNamespacedEventAsync("paude", fieldSelector: $"involvedObject.name={name}")).Items;
        Assert.Contains(events, e => e.Reason == "Unhealthy" && e.Message.StartsWith("Startup probe failed: ", StringComparison.Ordinal));

        // The first success makes it ready (no readiness probe) and ends the probing for good.
        await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "--", "touch", "/tmp/started");
        await Until(p => p.Status?.ContainerStatuses?.Single().Ready == true, "ready after the startup probe passed");
        var runs = await ProbeRuns();
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(runs, await ProbeRuns());

        // kubectl cross-check: the object keeps the probe as written; the pod reports ready.
        Assert.Equal("1000", (await fx.Kubectl.OkAsync("-n", "paude", "get", "pod", name, "-o", "jsonpath={.spec.containers[0].startupProbe.failureThreshold}")).Trim());
        Assert.Equal("True", (await fx.Kubectl.OkAsync("-n", "paude", "get", "pod", name, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}")).Trim());
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }
}
