using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Spdy;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// <c>pods/{name}/portforward</c> over SPDY/3.1 (<c>portforward.k8s.io</c>), what <c>kubectl port-forward</c> speaks:
/// tunnelled in WebSocket binary messages (subprotocol <c>SPDY/3.1+portforward.k8s.io</c>, kubectl's default since
/// 1.31) or after an HTTP <c>Upgrade: SPDY/3.1</c> (its fallback). Every forwarded connection is a pair of streams
/// (<see cref="PortForwardStreams"/>); its data stream is relayed, like the WebSocket protocol's channels, by a
/// <see cref="PortRelay"/> to the port on the pod's loopback, so the pod gains no listener.
/// </summary>
internal sealed partial class PodIo
{
    private const string SpdyProtocol = "portforward.k8s.io";
    private const string SpdyTunnelProtocol = "SPDY/3.1+" + SpdyProtocol;

    /// <summary>How long half a stream pair waits for the other half (tests shorten it).</summary>
    internal TimeSpan SpdyPairTimeout { get; set; } = PortForwardStreams.DefaultPairTimeout;

    /// <summary>Idle timeout and buffer limits of each SPDY session (the server's options set the idle timeout).</summary>
    internal SpdyConnectionOptions SpdyOptions { get; init; } = new();

    private static bool WantsSpdy(HttpContext context) =>
        context.WebSockets.WebSocketRequestedProtocols.Contains(SpdyTunnelProtocol)
        || string.Equals(context.Request.Headers.Upgrade, "SPDY/3.1", StringComparison.OrdinalIgnoreCase);

    private async Task SpdyPortForwardAsync(HttpContext context, JsonObject pod)
    {
        var container = ResolveContainer(pod, null);
        if (!IsRunning(pod, container))
        {
            throw KubeApiException.BadRequest($"pod {pod.Name()} is not running");
        }

        WebSocket? socket = null;
        Stream transport;
        if (context.WebSockets.IsWebSocketRequest)
        {
            // Set by hand: .NET refuses a subprotocol with '/' (not an RFC 2616 token), which is what kubectl asks for.
            context.Response.Headers.SecWebSocketProtocol = SpdyTunnelProtocol;
            socket = await context.WebSockets.AcceptWebSocketAsync(KeepAlive(null)).ConfigureAwait(false);
            transport = WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: false);
        }
        else
        {
            var upgrade = context.Features.Get<IHttpUpgradeFeature>();
            var versions = context.Request.Headers["X-Stream-Protocol-Version"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries));
            if (upgrade is not { IsUpgradableRequest: true } || !versions.Contains(SpdyProtocol))
            {
                throw KubeApiException.BadRequest($"unable to upgrade: the server supports only the {SpdyProtocol} stream protocol for port forwarding");
            }

            context.Response.Headers["X-Stream-Protocol-Version"] = SpdyProtocol;
            context.Response.Headers.Upgrade = "SPDY/3.1";
            transport = await upgrade.UpgradeAsync().ConfigureAwait(false);
        }

        var podmanName = resources.Container(pod.Namespace()!, pod.Name(), container);
        var start = ContainerStart(pod, container);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        using var connection = new SpdyConnection(transport, SpdyOptions);
        var streams = new PortForwardStreams(connection, (port, data, ct) => RelayStreamAsync(podmanName, start, pod, port, data, ct), SpdyPairTimeout, abort.Token);
        try
        {
            await connection.RunAsync(streams, abort.Token).ConfigureAwait(false);
        }
        finally
        {
            // The session is over: relays still running have nobody to answer.
            await abort.CancelAsync().ConfigureAwait(false);
            await streams.WhenIdleAsync().ConfigureAwait(false);
            await transport.DisposeAsync().ConfigureAwait(false);
            if (socket is { State: WebSocketState.Open or WebSocketState.CloseReceived })
            {
                await TryCloseAsync(socket).ConfigureAwait(false);
            }

            socket?.Dispose();
        }
    }

    /// <summary>One forwarded connection: the data stream to the pod's port and back; the kubelet's complaint if it fails.</summary>
    private async Task<string?> RelayStreamAsync(string podmanName, string start, JsonObject pod, int port, SpdyStream data, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, data.Aborted);
        using var relay = await PortRelay.OpenAsync(_network, podman, podmanName, start, port, both.Token).ConfigureAwait(false);
        try
        {
            _ = CopyToPodAsync(data, relay, both.Token);
            var buffer = new byte[64 * 1024];
            int n;
            while ((n = await relay.FromPod.ReadAsync(buffer, both.Token).ConfigureAwait(false)) > 0)
            {
                await data.WriteAsync(buffer.AsMemory(0, n), both.Token).ConfigureAwait(false);
            }

            return await relay.EndedAsync(both.Token).ConfigureAwait(false) is { } complaint
                ? $"error forwarding port {port} to pod {pod.Uid()}, uid : failed to connect to 127.0.0.1:{port} inside the pod: {complaint}"
                : null;
        }
        finally
        {
            await both.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The client's bytes of one stream to the pod's port; the client's FIN ends what the relay sends.</summary>
    private static async Task CopyToPodAsync(SpdyStream data, PortRelay relay, CancellationToken ct)
    {
        var target = relay.ToPod;
        try
        {
            while (true)
            {
                var read = await data.Input.ReadAsync(ct).ConfigureAwait(false);
                foreach (var segment in read.Buffer)
                {
                    await target.WriteAsync(segment, ct).ConfigureAwait(false);
                }

                await target.FlushAsync(ct).ConfigureAwait(false);
                data.Input.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted || read.IsCanceled)
                {
                    break;
                }
            }

            relay.EndInput();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The stream was reset or the relay is gone.
        }
    }

    private static async Task TryCloseAsync(WebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // Already gone.
        }
    }
}
