using k8s;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// The pods' gateway keeps its MAC address while other pods come and go, as a node's does: the server network's Linux
/// bridge would otherwise take the lowest address of its ports, change with every pod start, Service reconnect and pod
/// deletion, and leave the running pods' ARP entries pointing at an address nobody has (their DNS queries were lost
/// for up to 45 s — the Service tests' lookups timed out). Checked on the kernel's own view of the bridge (sysfs).
/// </summary>
public sealed class BridgeAddressTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_gateway_keeps_its_address_while_the_pod_that_made_the_bridge_leaves_and_others_join()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var (first, second, third) = ($"br1-{id}", $"br2-{id}", $"br3-{id}");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(first), "paude");
        var firstUid = (await RunningAsync(first)).Metadata.Uid;
        var bridge = await BridgeOfAsync(firstUid);
        var address = await File.ReadAllTextAsync($"/sys/class/net/{bridge}/address");

        // Each pod adds a port with a random address; the first pod's port (the only one when the bridge was made,
        // so the bridge's address by default) goes with it.
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(second), "paude");
        await RunningAsync(second);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(first, "paude");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", fieldSelector: $"metadata.name={first}")).Items.Count, n => n == 0, "first pod gone");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(third), "paude");
        var thirdUid = (await RunningAsync(third)).Metadata.Uid;

        Assert.Equal(bridge, await BridgeOfAsync(thirdUid)); // the same bridge, not one made again
        Assert.Equal(address, await File.ReadAllTextAsync($"/sys/class/net/{bridge}/address"));
        Assert.Equal("3", (await File.ReadAllTextAsync($"/sys/class/net/{bridge}/addr_assign_type")).Trim()); // NET_ADDR_SET

        await fx.Client.CoreV1.DeleteNamespacedPodAsync(second, "paude");
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(third, "paude");
    }

    private Task<k8s.Models.V1Pod> RunningAsync(string pod) =>
        Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, "paude"), p => p.Status?.Phase == "Running", $"{pod} running");

    /// <summary>The Linux bridge of the pod's network, as Podman names it.</summary>
    private static async Task<string> BridgeOfAsync(string podUid)
    {
        var container = Assert.Single(await Podman.LinesAsync("ps", "--filter", $"label=paude.kubetest.pod-uid={podUid}", "--format", "{{.Names}}"));
        var network = Assert.Single(await Podman.LinesAsync("inspect", "--type", "container", "--format", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{println}}{{end}}", container));
        var bridge = Assert.Single(await Podman.LinesAsync("network", "inspect", "--format", "{{.NetworkInterface}}", network));
        Assert.True(Directory.Exists($"/sys/class/net/{bridge}"), $"no bridge {bridge} for network {network}");
        return bridge;
    }
}
