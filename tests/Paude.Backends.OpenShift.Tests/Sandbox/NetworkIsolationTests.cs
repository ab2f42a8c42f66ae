using System.Net;
using System.Net.Sockets;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Sandbox;

/// <summary>
/// The hostile agent tries to leave its session without the proxy, on the test server that enforces the session's
/// NetworkPolicies: the host, another session's proxy and agent are unreachable; its own proxy is reachable.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class NetworkIsolationTests(KubeServerFixture fixture)
{
    private async Task<int> ConnectAsync(SessionName from, string host, int port)
    {
        // bash's /dev/tcp: exit 0 only when the TCP handshake completed; bounded by timeout(1).
        await using var process = await fixture.Backend.StartProcessAsync(from, new ProcessSpec(["timeout", "5", "bash", "-c", $"exec 3<>/dev/tcp/{host}/{port}"]));
        return await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
    }

    private async Task<string> PodIpAsync(SessionName name, string role) =>
        (await fixture.KubectlAsync("get", "pod", "-l", $"paude.io/session-name={name.Value},paude.io/role={role}", "-o", "jsonpath={.items[0].status.podIP}")).Trim();

    [Fact]
    public async Task The_agent_reaches_its_own_proxy_and_nothing_else()
    {
        var a = fixture.NewName("neta");
        var b = fixture.NewName("netb");
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var hostPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        try
        {
            await Task.WhenAll(fixture.Backend.CreateAsync(fixture.Spec(a)), fixture.Backend.CreateAsync(fixture.Spec(b)));
            var gateway = (await Podman.RunAsync(["network", "inspect", fixture.Server.PodNetwork, "--format", "{{range .Subnets}}{{.Gateway}}{{end}}"])).StandardOutput.Trim();
            var otherProxy = await PodIpAsync(b, "proxy");
            var otherAgent = await PodIpAsync(b, "agent");
            Assert.NotEqual("", otherProxy);

            // The own proxy answers (by its Service name, through the cluster DNS the policy allows).
            Assert.Equal(0, await ConnectAsync(a, $"proxy-paude-{a.Value}", 3128));

            // The other session can reach its own proxy: what fails below is policy, not a dead proxy.
            Assert.Equal(0, await ConnectAsync(b, otherProxy, 3128));

            Assert.NotEqual(0, await ConnectAsync(a, gateway, hostPort));
            Assert.NotEqual(0, await ConnectAsync(a, otherProxy, 3128));
            Assert.NotEqual(0, await ConnectAsync(a, $"proxy-paude-{b.Value}", 3128));
            Assert.NotEqual(0, await ConnectAsync(a, otherAgent, 22));

            // The host listener is really there (the test process reaches it itself).
            using var self = new TcpClient();
            await self.ConnectAsync(IPAddress.Loopback, hostPort);
        }
        finally
        {
            listener.Stop();
            await Task.WhenAll(fixture.Backend.DeleteAsync(a), fixture.Backend.DeleteAsync(b));
        }
    }
}
