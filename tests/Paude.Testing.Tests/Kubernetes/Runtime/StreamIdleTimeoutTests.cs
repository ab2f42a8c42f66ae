using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using k8s;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// A client that goes away without a close frame must not leave what its stream started running: the exec's
/// command (and its <c>podman exec</c>), the port-forward's connection in the pod. Either it drops its connection
/// (seen at once) or it falls silent with the connection up (a killed machine, a lost network: the server's pings go
/// unanswered and it gives up after <see cref="Paude.Testing.Kubernetes.KubernetesTestServerOptions.StreamIdleTimeout"/>).
/// </summary>
public sealed class StreamIdleTimeoutTests(IdleStreamServerFixture fixture) : IClassFixture<IdleStreamServerFixture>
{
    private const string AgentImage = "localhost/paude-agent:latest";
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task Exec_whose_client_drops_the_connection_without_a_close_ends_its_command()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var pod = await StartPodAsync(cts.Token);
        var marker = Marker();
        using var socket = await fixture.Client.WebSocketNamespacedPodExecAsync(pod, "paude", ["sleep", marker], "main", stdin: false, tty: false, cancellationToken: cts.Token);
        await WaitForAsync(() => Running(marker), true, "the exec's command running", TimeSpan.FromSeconds(30));

        socket.Abort(); // the TCP connection goes, no close frame

        await WaitForAsync(() => Running(marker), false, "the command and its podman exec gone", Slack);
    }

    [Fact]
    public async Task Exec_whose_client_falls_silent_ends_its_command_within_the_idle_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var pod = await StartPodAsync(cts.Token);
        var marker = Marker();
        using var silent = await SilentClientAsync($"api/v1/namespaces/paude/pods/{pod}/exec?command=sleep&command={marker}&container=main&stdout=true&stderr=true", "v4.channel.k8s.io", cts.Token);
        await WaitForAsync(() => Running(marker), true, "the exec's command running", TimeSpan.FromSeconds(30));
        var watch = Stopwatch.StartNew();

        await WaitForAsync(() => Running(marker), false, "the command and its podman exec gone", IdleStreamServerFixture.IdleTimeout + Slack);
        Assert.True(watch.Elapsed >= IdleStreamServerFixture.IdleTimeout / 2 - TimeSpan.FromSeconds(1), $"ended after {watch.Elapsed}: before the client could have missed a ping");
    }

    [Fact]
    public async Task Port_forward_whose_client_drops_the_connection_without_a_close_ends_the_pod_connection()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var pod = await StartPodAsync(cts.Token);
        using var socket = await fixture.Client.WebSocketNamespacedPodPortForwardAsync(pod, "paude", [8080], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes("\0GET /hostname HTTP/1.0\r\n"), WebSocketMessageType.Binary, true, cts.Token); // half a request: httpd waits
        await WaitForAsync(() => PodConnectionsAsync(pod), true, "the pod's end connected", TimeSpan.FromSeconds(30));

        socket.Abort();

        await WaitForAsync(() => PodConnectionsAsync(pod), false, "the pod's end closed", Slack);
    }

    [Fact]
    public async Task Port_forward_whose_client_falls_silent_ends_the_pod_connection_within_the_idle_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var pod = await StartPodAsync(cts.Token);
        using var silent = await SilentClientAsync($"api/v1/namespaces/paude/pods/{pod}/portforward?ports=8080", "v4.channel.k8s.io", cts.Token);
        await WaitForAsync(() => PodConnectionsAsync(pod), true, "the pod's end connected", TimeSpan.FromSeconds(30));

        await WaitForAsync(() => PodConnectionsAsync(pod), false, "the pod's end closed", IdleStreamServerFixture.IdleTimeout + Slack);
    }

    private static string Marker() => (100000 + RandomNumberGenerator.GetInt32(900000)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Whether any process on this host (the podman exec, or the command inside the container) runs <c>sleep &lt;marker&gt;</c>.</summary>
    private static Task<bool> Running(string marker)
    {
        var needle = "sleep\0" + marker;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(needle, StringComparison.Ordinal))
                {
                    return Task.FromResult(true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return Task.FromResult(false);
    }

    /// <summary>Whether the pod has an established TCP connection to its port 8080 (its /proc/net/tcp, state 01).</summary>
    private async Task<bool> PodConnectionsAsync(string pod)
    {
        var table = await Podman.CheckAsync("exec", $"kt-{fixture.Server.ServerId}-paude-{pod}-main", "cat", "/proc/net/tcp");
        return table.Split('\n').Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f.Length > 3 && f[1].EndsWith(":1F90", StringComparison.Ordinal) && f[3] == "01");
    }

    private async Task<string> StartPodAsync(CancellationToken ct)
    {
        var name = $"idle-{Guid.NewGuid().ToString("N")[..6]}";
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name, AgentImage, ["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"]), "paude", cancellationToken: ct);
        await Wait.UntilAsync(
            async () => await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "paude", cancellationToken: ct),
            p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true,
            "container running");
        return name;
    }

    /// <summary>A client that completes the WebSocket upgrade and then neither reads nor writes (its connection stays up).</summary>
    private async Task<TcpClient> SilentClientAsync(string pathAndQuery, string protocol, CancellationToken ct)
    {
        var client = new TcpClient();
        await client.ConnectAsync(fixture.Server.BaseAddress.Host, fixture.Server.BaseAddress.Port, ct);
        var stream = client.GetStream();
        var request = $"GET /{pathAndQuery} HTTP/1.1\r\nHost: {fixture.Server.BaseAddress.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n"
            + $"Sec-WebSocket-Protocol: {protocol}\r\nAuthorization: Bearer paude-test-token\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(one, ct) == 1)
        {
            head.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        return client;
    }

    private static async Task WaitForAsync(Func<Task<bool>> observe, bool expected, string what, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        while (await observe() != expected)
        {
            Assert.True(watch.Elapsed < limit, $"not {what} after {watch.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(200);
        }
    }
}
