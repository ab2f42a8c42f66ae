using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// <c>pods/{name}/portforward</c> over WebSocket, as the kubelet serves it (<c>v4.channel.k8s.io</c> or no
/// subprotocol): the query's <c>ports</c> each get a data channel (2·i) and an error channel (2·i+1); the server's
/// first message on each is the port, 2 bytes little-endian. The pod's end is a <see cref="PortRelay"/> to the
/// port on the pod's loopback (a socket in its network namespace), so the pod gains no listener. A client Close ends
/// what it sends (a half-close) while the answer still flows; when the pod's side ends, a failure goes to the error
/// channel and the server closes.
/// </summary>
internal sealed partial class PodIo
{
    private const string PortForwardProtocol = "v4.channel.k8s.io";

    public async Task PortForwardAsync(HttpContext context, JsonObject pod)
    {
        if (WantsSpdy(context))
        {
            await SpdyPortForwardAsync(context, pod).ConfigureAwait(false);
            return;
        }

        var ports = new List<int>();
        foreach (var value in context.Request.Query["ports"])
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
                {
                    throw KubeApiException.BadRequest($"invalid port \"{part}\": must be between 1 and 65535");
                }

                ports.Add(port);
            }
        }

        if (ports.Count == 0)
        {
            throw KubeApiException.BadRequest("at least one port must be specified");
        }

        var container = ResolveContainer(pod, null);
        if (!IsRunning(pod, container))
        {
            throw KubeApiException.BadRequest($"pod {pod.Name()} is not running");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw KubeApiException.BadRequest("Upgrade request required");
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        if (requested.Count > 0 && !requested.Contains(PortForwardProtocol))
        {
            throw KubeApiException.BadRequest($"the server supports only the {PortForwardProtocol} WebSocket subprotocol for port forwarding, not {string.Join(", ", requested)}");
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(KeepAlive(requested.Count > 0 ? PortForwardProtocol : null)).ConfigureAwait(false);
        using var sendLock = new SemaphoreSlim(1);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var ct = abort.Token;
        var podmanName = resources.Container(pod.Namespace()!, pod.Name(), container);
        var start = ContainerStart(pod, container);
        var relays = new List<PortRelay>();
        try
        {
            for (var i = 0; i < ports.Count; i++)
            {
                var portBytes = new[] { (byte)(ports[i] & 0xFF), (byte)(ports[i] >> 8) };
                await SendAsync(socket, sendLock, (byte)(2 * i), portBytes, ct).ConfigureAwait(false);
                await SendAsync(socket, sendLock, (byte)((2 * i) + 1), portBytes, ct).ConfigureAwait(false);
                relays.Add(await PortRelay.OpenAsync(_network, podman, podmanName, start, ports[i], ct).ConfigureAwait(false));
            }

            var receive = ReceivePortForwardAsync(socket, relays, abort);
            var forwards = relays.Select((p, i) => ForwardOnePortAsync(p, ports[i], (byte)(2 * i), pod, socket, sendLock, ct)).ToList();
            await Task.WhenAll(forwards).ConfigureAwait(false);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away: the relays must not outlive it.
        }
        finally
        {
            await abort.CancelAsync().ConfigureAwait(false);
            foreach (var relay in relays)
            {
                relay.Dispose();
            }
        }
    }

    /// <summary>The pod's bytes of one port out on its data channel; a failed relay's complaint on its error channel.</summary>
    private static async Task ForwardOnePortAsync(PortRelay relay, int port, byte channel, JsonObject pod, WebSocket socket, SemaphoreSlim sendLock, CancellationToken ct)
    {
        await PumpAsync(relay.FromPod, channel, socket, sendLock, ct).ConfigureAwait(false);
        if (await relay.EndedAsync(ct).ConfigureAwait(false) is { } complaint)
        {
            // The kubelet's wording, so clients that match on it behave as they do against a cluster.
            var message = $"error forwarding port {port} to pod {pod.Uid()}, uid : failed to connect to 127.0.0.1:{port} inside the pod: {complaint}";
            await SendAsync(socket, sendLock, (byte)(channel + 1), Encoding.UTF8.GetBytes(message), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Data channel 2·i → relay i (streamed, also when fragmented); a client Close ends what every relay sends.</summary>
    private static async Task ReceivePortForwardAsync(WebSocket socket, List<PortRelay> relays, CancellationTokenSource abort)
    {
        var ct = abort.Token;
        var buffer = new byte[1024 * 1024];
        var gone = new bool[relays.Count];
        try
        {
            while (socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    foreach (var relay in relays)
                    {
                        relay.EndInput();
                    }

                    return;
                }

                if (result.Count == 0)
                {
                    continue;
                }

                var channel = buffer[0];
                var index = channel % 2 == 0 && channel / 2 < relays.Count && !gone[channel / 2] ? channel / 2 : -1;
                var ok = await WriteIfAsync(index < 0 ? null : relays[index].ToPod, buffer.AsMemory(1, result.Count - 1), ct).ConfigureAwait(false);
                while (!result.EndOfMessage)
                {
                    result = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    ok = ok && await WriteIfAsync(index < 0 ? null : relays[index].ToPod, buffer.AsMemory(0, result.Count), ct).ConfigureAwait(false);
                }

                if (index >= 0 && !(ok && await WriteIfAsync(relays[index].ToPod, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false)))
                {
                    // The pod's side no longer takes bytes; what it still sends keeps flowing.
                    gone[index] = true;
                }
            }

            // Left only by an aborted socket (a close from the client returns above).
            throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The client went away without a close: a dropped connection, or no answer to the keep-alive pings.
            // Nobody is left to read what the pod sends, so the relays end now rather than when the pod's side does.
            if (!ct.IsCancellationRequested)
            {
                await abort.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes (and with nothing to write, flushes) to a relay; false once the relay is gone.</summary>
    private static async Task<bool> WriteIfAsync(Stream? target, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        if (target is null)
        {
            return true;
        }

        try
        {
            if (data.IsEmpty)
            {
                await target.FlushAsync(ct).ConfigureAwait(false);
            }
            else
            {
                await target.WriteAsync(data, ct).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
    }
}
