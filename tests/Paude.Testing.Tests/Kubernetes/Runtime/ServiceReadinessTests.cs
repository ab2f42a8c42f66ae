using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// A Service routes only to Ready pods that are not terminating, as real endpoints do: checked with a real name lookup
/// and an HTTP request from another pod while the target's readiness probe fails, passes, fails again, and after its
/// deletion. A Service with <c>publishNotReadyAddresses</c> (a StatefulSet's governing Service) names the pod throughout.
/// </summary>
public sealed class ServiceReadinessTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Service_targets_a_pod_only_while_it_is_ready_and_not_terminating()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var (client, web, svc, all) = ($"rcli-{id}", $"rweb-{id}", $"rsvc-{id}", $"rall-{id}");
        await fx.Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = svc },
                Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = web }, Ports = [new V1ServicePort { Port = 8080 }] },
            },
            "paude");
        await fx.Client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = all },
                Spec = new V1ServiceSpec { ClusterIP = "None", PublishNotReadyAddresses = true, Selector = new Dictionary<string, string> { ["app"] = web } },
            },
            "paude");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(client), "paude");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = web, Labels = new Dictionary<string, string> { ["app"] = web } },
                Spec = new V1PodSpec
                {
                    TerminationGracePeriodSeconds = 1,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "main",
                            Image = Manifests.Image,
                            Command = ["sh", "-c", $"mkdir -p /tmp/www; echo {web} > /tmp/www/id.txt; exec busybox httpd -f -p 8080 -h /tmp/www"],

                            // Generous timeout: a probe slowed past it by a loaded machine would flip readiness by itself.
                            ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["test", "-f", "/tmp/ready"] }, PeriodSeconds = 1, FailureThreshold = 1, TimeoutSeconds = 10 },
                        },
                    ],
                },
            },
            "paude");

        var running = await Wait.UntilAsync(
            async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(web, "paude"),
            p => p.Status?.Phase == "Running" && p.Status.PodIP is not null,
            "web pod running");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(client, "paude"), p => p.Status?.Phase == "Running", "client running");
        var ip = running.Status.PodIP;

        // Running, probe failing: not a target (a real lookup finds no such name).
        Assert.Equal("False", Ready(await fx.Client.CoreV1.ReadNamespacedPodAsync(web, "paude")));
        Assert.StartsWith("exit 2", await LookAsync(client, svc), StringComparison.Ordinal);
        Assert.Equal($"{ip} {web}", await LookAsync(client, all));

        // Ready: a target, at the pod's own address.
        await fx.Kubectl.OkAsync("-n", "paude", "exec", web, "--", "touch", "/tmp/ready");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s == $"{ip} {web}", "ready pod becomes the service's target");

        // Unready again: drops out, though it still runs and listens.
        await fx.Kubectl.OkAsync("-n", "paude", "exec", web, "--", "rm", "/tmp/ready");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s.StartsWith("exit 2", StringComparison.Ordinal), "unready pod leaves the service");

        // The alias change reconnects the pod (about a second off the network, when every name fails): the headless
        // Service names it again once that is over, while the ordinary Service still does not.
        await Wait.UntilAsync(() => LookAsync(client, all), s => s == $"{ip} {web}", "publishNotReadyAddresses names the unready pod");
        Assert.StartsWith("exit 2", await LookAsync(client, svc), StringComparison.Ordinal);
        Assert.Equal(ip, (await fx.Client.CoreV1.ReadNamespacedPodAsync(web, "paude")).Status.PodIP);

        // Ready, then deleted: a terminating pod is no target.
        await fx.Kubectl.OkAsync("-n", "paude", "exec", web, "--", "touch", "/tmp/ready");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s == $"{ip} {web}", "ready again");
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(web, "paude");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s.StartsWith("exit 2", StringComparison.Ordinal), "terminating pod leaves the service");

        await fx.Client.CoreV1.DeleteNamespacedPodAsync(client, "paude");
        await fx.Client.CoreV1.DeleteNamespacedServiceAsync(svc, "paude");
        await fx.Client.CoreV1.DeleteNamespacedServiceAsync(all, "paude");
    }

    private static string? Ready(V1Pod pod) => pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;

    /// <summary>The address the client resolves the name to and the HTTP answer, or the failure (exit 2: no such name).</summary>
    private async Task<string> LookAsync(string client, string host)
    {
        try
        {
            var (code, stdout, stderr) = await fx.Kubectl.RunAsync(["-n", "paude", "exec", client, "--", "sh", "-c", "ip=$(timeout 10 getent hosts \"$1\") || exit 2; echo \"${ip%% *}\"; curl -s -m 3 \"http://$1:8080/id.txt\"", "sh", host], timeout: TimeSpan.FromSeconds(30));
            return code == 0 ? stdout.Trim().Replace('\n', ' ') : $"exit {code}: {stderr.Trim()}";
        }
        catch (TimeoutException ex)
        {
            return $"no answer: {ex.Message}";
        }
    }
}

/// <summary>The endpoint rule itself, for states a live pod passes through too briefly to observe.</summary>
public sealed class ServingRuleTests
{
    private static System.Text.Json.Nodes.JsonObject Pod(string? ready, bool probe = false, bool terminating = false)
    {
        var container = new System.Text.Json.Nodes.JsonObject { ["name"] = "main" };
        if (probe)
        {
            container["readinessProbe"] = new System.Text.Json.Nodes.JsonObject { ["exec"] = new System.Text.Json.Nodes.JsonObject() };
        }

        var pod = new System.Text.Json.Nodes.JsonObject
        {
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "p" },
            ["spec"] = new System.Text.Json.Nodes.JsonObject { ["containers"] = new System.Text.Json.Nodes.JsonArray(container) },
        };
        if (terminating)
        {
            pod["metadata"]!["deletionTimestamp"] = "2026-12-07T00:00:00Z";
        }

        if (ready is not null)
        {
            pod["status"] = new System.Text.Json.Nodes.JsonObject
            {
                ["conditions"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "Ready", ["status"] = ready }),
            };
        }

        return pod;
    }

    [Theory]
    [InlineData(null, false, false, true)] // being created, no probe: ready the moment it runs
    [InlineData(null, true, false, false)] // being created with a probe: only once it passes
    [InlineData("True", true, false, true)]
    [InlineData("False", false, false, false)] // crashed
    [InlineData("True", false, true, false)] // terminating, still running and ready
    [InlineData(null, false, true, false)]
    public void Only_ready_pods_that_are_not_terminating_serve(string? ready, bool probe, bool terminating, bool serving) =>
        Assert.Equal(serving, Paude.Testing.Kubernetes.Runtime.PodLaunch.Serving(Pod(ready, probe, terminating)));
}
