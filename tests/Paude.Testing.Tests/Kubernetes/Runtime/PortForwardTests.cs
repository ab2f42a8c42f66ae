using System.Net.WebSockets;
using System.Text;
using k8s;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// <c>pods/{name}/portforward</c> speaks the kubelet's WebSocket framing: per port a data and an error channel, each
/// opened by the port in 2 little-endian bytes; data reaches the pod's loopback; a port nobody listens on is
/// reported on the error channel and the socket closes. (Carrying many connections through the OpenShift
/// backend: the conformance suite.)
/// </summary>
public sealed class PortForwardTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string AgentImage = "localhost/paude-agent:latest";

    [Fact]
    public async Task Port_forward_frames_like_the_kubelet_and_reaches_the_pod_loopback()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartServerPodAsync(cts.Token);

        using var socket = await fixture.Client.WebSocketNamespacedPodPortForwardAsync(name, "paude", [8080], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cts.Token);
        Assert.Equal(WebSocketProtocol.V4BinaryWebsocketProtocol, socket.SubProtocol);
        var first = await ReceiveAsync(socket, cts.Token);
        var second = await ReceiveAsync(socket, cts.Token);
        Assert.Equal(new byte[] { 0, 0x90, 0x1F }, first); // 8080 = 0x1F90
        Assert.Equal(new byte[] { 1, 0x90, 0x1F }, second);

        await socket.SendAsync(Encoding.ASCII.GetBytes("\0GET /hostname HTTP/1.0\r\n\r\n"), WebSocketMessageType.Binary, true, cts.Token);
        var answer = new StringBuilder();
        while (await ReceiveAsync(socket, cts.Token) is { } message)
        {
            Assert.Equal(0, message[0]);
            answer.Append(Encoding.ASCII.GetString(message, 1, message.Length - 1));
        }

        Assert.StartsWith("HTTP/1.1 200 OK", answer.ToString(), StringComparison.Ordinal);
        Assert.EndsWith(name, answer.ToString().TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Port_forward_to_a_closed_port_reports_on_the_error_channel()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartServerPodAsync(cts.Token);

        using var socket = await fixture.Client.WebSocketNamespacedPodPortForwardAsync(name, "paude", [9], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cts.Token);
        await ReceiveAsync(socket, cts.Token);
        await ReceiveAsync(socket, cts.Token);
        await socket.SendAsync(Encoding.ASCII.GetBytes("\0hello"), WebSocketMessageType.Binary, true, cts.Token);
        var error = await ReceiveAsync(socket, cts.Token);
        Assert.NotNull(error);
        Assert.Equal(1, error[0]);
        Assert.StartsWith("error forwarding port 9 to pod", Encoding.UTF8.GetString(error, 1, error.Length - 1), StringComparison.Ordinal);
        Assert.Null(await ReceiveAsync(socket, cts.Token));
    }

    [Fact]
    public async Task Port_forward_refuses_missing_ports_and_an_unknown_subprotocol()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartServerPodAsync(cts.Token);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => fixture.Client.WebSocketNamespacedPodPortForwardAsync(name, "paude", [], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cts.Token));
        await Assert.ThrowsAnyAsync<WebSocketException>(() => fixture.Client.WebSocketNamespacedPodPortForwardAsync(name, "paude", [8080], WebSocketProtocol.V5BinaryWebsocketProtocol, cancellationToken: cts.Token));
    }

    /// <summary>A pod whose container serves its own /etc on 127.0.0.1:8080 (busybox httpd; nothing else can reach it).</summary>
    private async Task<string> StartServerPodAsync(CancellationToken ct)
    {
        var name = $"pf-{Guid.NewGuid().ToString("N")[..6]}";
        var pod = Manifests.Pod(name, AgentImage, ["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"]);
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude", cancellationToken: ct);
        await Wait.UntilAsync(
            async () => await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "paude", cancellationToken: ct),
            p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true,
            "container running");
        return name;
    }

    /// <summary>One whole message, or <c>null</c> once the server closed.</summary>
    internal static async Task<byte[]?> ReceiveAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return message.ToArray();
            }
        }
    }
}
