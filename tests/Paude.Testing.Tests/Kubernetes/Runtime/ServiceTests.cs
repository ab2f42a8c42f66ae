using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// Service names resolve to the selected pods through Podman network aliases, whichever was created first; checked
/// with a real name lookup and an HTTP request from another pod.
/// </summary>
public sealed class ServiceTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static V1Pod WebPod(string name, string app) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = Manifests.Image, Command = ["sh", "-c", $"mkdir -p /tmp/www; echo {name} > /tmp/www/id.txt; exec busybox httpd -f -p 8080 -h /tmp/www"] }],
        },
    };

    private static V1Service Service(string name, string app) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = app }, Ports = [new V1ServicePort { Port = 8080 }] },
    };

    private async Task<string> RunningIpAsync(string pod) =>
        (await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, "paude"), p => p.Status?.Phase == "Running" && p.Status.PodIP is not null, $"{pod} running")).Status.PodIP;

    /// <summary>What the client pod sees for a name: the address it resolves to and the HTTP answer, or the failure.</summary>
    private async Task<string> LookAsync(string client, string host)
    {
        // One look is bounded: while the pod's network is reconnected for a Service, a lookup can stall (seen once under
        // CI load for 60 s); a stalled look is "no answer yet" and the caller's wait looks again.
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

    [Fact]
    public async Task Service_reaches_pods_started_before_and_after_it_and_follows_selector_changes_and_deletion()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var (client, before, after, svc) = ($"cli-{id}", $"early-{id}", $"late-{id}", $"web-{id}");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(client), "paude");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(WebPod(before, $"early-{id}"), "paude");
        var earlyIp = await RunningIpAsync(before);
        await RunningIpAsync(client);
        Assert.StartsWith("exit 2", await LookAsync(client, svc), StringComparison.Ordinal); // no such name yet

        // Pod first, Service later: the running pod gets the Service's names.
        await fx.Client.CoreV1.CreateNamespacedServiceAsync(Service(svc, $"early-{id}"), "paude");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s == $"{earlyIp} {before}", "service name reaches the earlier pod");
        Assert.Equal($"{earlyIp} {before}", await LookAsync(client, $"{svc}.paude.svc.cluster.local"));
        Assert.Equal(earlyIp, (await fx.Client.CoreV1.ReadNamespacedPodAsync(before, "paude")).Status.PodIP); // same IP after reconnecting

        // Service first, pod later (the pod starts with the alias).
        var svc2 = $"web2-{id}";
        await fx.Client.CoreV1.CreateNamespacedServiceAsync(Service(svc2, $"late-{id}"), "paude");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(WebPod(after, $"late-{id}"), "paude");
        var lateIp = await RunningIpAsync(after);
        await Wait.UntilAsync(() => LookAsync(client, $"{svc2}.paude.svc"), s => s == $"{lateIp} {after}", "service name reaches the later pod");

        // The selector moves to the other pod: the name follows it and leaves the old one.
        await fx.Client.CoreV1.PatchNamespacedServiceAsync(new V1Patch($"{{\"spec\":{{\"selector\":{{\"app\":\"late-{id}\"}}}}}}", V1Patch.PatchType.MergePatch), svc, "paude");
        await Wait.UntilAsync(() => LookAsync(client, svc), s => s == $"{lateIp} {after}", "service name follows the selector");

        // Deleted: the name stops resolving and the pod's other Service still reaches it. Both are awaited together: the
        // pod is reconnected without the deleted name, and while it is off the network (~1 s) neither name resolves.
        await fx.Kubectl.OkAsync("-n", "paude", "delete", "service", svc2);
        await Wait.UntilAsync(
            async () => (Deleted: await LookAsync(client, svc2), Kept: await LookAsync(client, svc)),
            s => s.Deleted.StartsWith("exit 2", StringComparison.Ordinal) && s.Kept == $"{lateIp} {after}",
            "deleted service no longer resolves, the other one still does");

        foreach (var pod in new[] { client, before, after })
        {
            await fx.Client.CoreV1.DeleteNamespacedPodAsync(pod, "paude");
        }

        await fx.Client.CoreV1.DeleteNamespacedServiceAsync(svc, "paude");
    }
}
