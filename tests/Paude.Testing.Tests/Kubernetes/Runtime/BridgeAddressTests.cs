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

    // `ip link set` failing (no rights: rootless Podman) used to pass for success, silently, and was run again after
    // every container start. Now it is an error with ip's own words, once per bridge; nothing is pinned.
    [Fact]
    public async Task A_failing_ip_is_a_clear_error_once_per_bridge_and_pins_nothing()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var network = $"kt-s19bridge-{id}";
        var container = $"{network}-c";
        var dir = Directory.CreateTempSubdirectory("paude-bridgeip-").FullName;
        try
        {
            await Podman.CheckAsync("network", "create", "--label", $"paude.test={ServerFixture.RunId}", network);
            await Podman.CheckAsync("run", "-d", "--name", container, "--label", $"paude.test={ServerFixture.RunId}", "--network", network, Manifests.Image, "sleep", "infinity");
            var bridge = Assert.Single(await Podman.LinesAsync("network", "inspect", "--format", "{{.NetworkInterface}}", network));
            var ip = Path.Combine(dir, "ip");
            await File.WriteAllTextAsync(ip, "#!/bin/sh\necho 'RTNETLINK answers: Operation not permitted' >&2\nexit 2\n");
            File.SetUnixFileMode(ip, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var pin = new Paude.Testing.Kubernetes.Runtime.BridgeAddress(new Paude.Testing.Kubernetes.Runtime.PodmanCli("podman"), network, ip);

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => pin.PinAsync(CancellationToken.None));

            Assert.Contains($"bridge {bridge} (network {network})", e.Message, StringComparison.Ordinal);
            Assert.Contains("exited with 2: RTNETLINK answers: Operation not permitted", e.Message, StringComparison.Ordinal);
            await pin.PinAsync(CancellationToken.None); // said once, not after every start
            Assert.NotEqual("3", (await File.ReadAllTextAsync($"/sys/class/net/{bridge}/addr_assign_type")).Trim());
        }
        finally
        {
            await Podman.RunAsync("rm", "--force", "--time", "0", container);
            await Podman.RunAsync("network", "rm", "--force", network);
            Directory.Delete(dir, recursive: true);
        }
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
