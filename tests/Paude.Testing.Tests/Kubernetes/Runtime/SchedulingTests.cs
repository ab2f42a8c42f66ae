using k8s;
using k8s.Models;
using Paude.Testing.Kubernetes;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// The one node's labels and taints (<see cref="KubernetesTestServerOptions.NodeLabels"/>,
/// <see cref="KubernetesTestServerOptions.NodeTaints"/>): a pod that fits runs and is bound to the node; one whose
/// selector the node does not match, or that does not tolerate a taint, stays Pending (Unschedulable) with a
/// FailedScheduling event and no container, as kube-scheduler leaves it; it can still be deleted. Checked with kubectl.
/// </summary>
public sealed class SchedulingTests
{
    [Fact]
    public async Task Pods_the_node_does_not_fit_stay_pending_unschedulable_and_those_that_fit_run()
    {
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default"],
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId },
            NodeLabels = new Dictionary<string, string> { ["pool"] = "agents" },
            NodeTaints = [new KubernetesNodeTaint("dedicated", "paude", "NoSchedule"), new KubernetesNodeTaint("soft", null, "PreferNoSchedule")],
        });
        using var client = server.CreateClient("default");
        var kubectl = new Kubectl(server.KubeconfigPath);
        var id = Guid.NewGuid().ToString("N")[..6];
        var tolerated = new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "paude", Effect = "NoSchedule" };
        var fits = await CreateAsync($"fits-{id}", new() { ["pool"] = "agents", ["kubernetes.io/os"] = "linux" }, [tolerated]);
        var anyTaint = await CreateAsync($"any-{id}", [], [new V1Toleration { OperatorProperty = "Exists" }]);
        var otherPool = await CreateAsync($"pool-{id}", new() { ["pool"] = "gpu" }, [tolerated]);
        var untolerated = await CreateAsync($"taint-{id}", new() { ["pool"] = "agents" }, [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "other" }]);

        foreach (var running in new[] { fits, anyTaint })
        {
            await Wait.UntilAsync(() => client.CoreV1.ReadNamespacedPodAsync(running, "default"), p => p.Status?.Phase == "Running", $"{running} running");
            Assert.Equal("paude-test-node", await JsonPathAsync(running, "{.spec.nodeName}"));
        }

        foreach (var (pending, why) in new[] { (otherPool, "1 node(s) didn't match Pod's node affinity/selector"), (untolerated, "1 node(s) had untolerated taint {dedicated: paude}") })
        {
            await Wait.UntilAsync(() => JsonPathAsync(pending, "{.status.conditions[0].reason}"), r => r == "Unschedulable", $"{pending} unschedulable");
            Assert.Equal("Pending||PodScheduled|False", await JsonPathAsync(pending, "{.status.phase}|{.spec.nodeName}|{.status.conditions[0].type}|{.status.conditions[0].status}"));
            Assert.Contains(why, await JsonPathAsync(pending, "{.status.conditions[0].message}"), StringComparison.Ordinal);
            var events = await kubectl.RunAsync(["-n", "default", "get", "events", "--field-selector", $"involvedObject.name={pending}", "-o", "jsonpath={.items[*].reason}"]);
            Assert.Equal("FailedScheduling", events.StdOut.Trim());
            Assert.Empty(await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.kubetest.pod=default/{pending}"));
        }

        await client.CoreV1.DeleteNamespacedPodAsync(otherPool, "default");
        await Wait.UntilAsync(async () => (await client.CoreV1.ListNamespacedPodAsync("default")).Items.Select(p => p.Metadata.Name).ToList(), names => !names.Contains(otherPool), "unschedulable pod deleted");

        async Task<string> CreateAsync(string name, Dictionary<string, string> selector, List<V1Toleration> tolerations)
        {
            var pod = Manifests.Pod(name, command: ["sleep", "300"]);
            pod.Spec.NodeSelector = selector.Count == 0 ? null : selector;
            pod.Spec.Tolerations = tolerations;
            await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
            return name;
        }

        async Task<string> JsonPathAsync(string pod, string path)
        {
            var (code, stdout, stderr) = await kubectl.RunAsync(["-n", "default", "get", "pod", pod, "-o", $"jsonpath={path}"]);
            Assert.True(code == 0, stderr);
            return stdout;
        }
    }

    [Fact]
    public async Task Bad_node_labels_and_taints_are_refused_together()
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            NodeLabels = new Dictionary<string, string> { [""] = "x" },
            NodeTaints = [new KubernetesNodeTaint("", null, "NoSchedule"), new KubernetesNodeTaint("k", null, "Sometimes")],
        }));

        Assert.Contains("Node label '=x'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(2, refused.Message.Split("Node taint '").Length - 1);
        Assert.Contains("Effect = Sometimes", refused.Message, StringComparison.Ordinal);
    }
}
