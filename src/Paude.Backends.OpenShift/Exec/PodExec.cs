using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using Paude.Errors;
using Paude.Execution;
using Polly;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// Opens exec sessions in a pod container. Asks for <c>v5.channel.k8s.io</c> first (stdin can be closed); a server
/// that refuses it gets <c>v4.channel.k8s.io</c> and, when stdin is used, the framing wrapper. The answer is
/// remembered per backend so the fallback costs one extra handshake only once. Handshakes go through the
/// resilience pipeline: opening an exec stream has no side effect until it is connected.
/// </summary>
internal sealed partial class PodExec(IKubernetes client, string ns, ResiliencePipeline pipeline)
{
    private volatile bool _v4Only;

    /// <summary>Whether only <c>v4.channel.k8s.io</c> is asked for (learnt from a refusal; settable for tests).</summary>
    internal bool V4Only
    {
        get => _v4Only;
        init => _v4Only = value;
    }

    public async Task<ExecSession> StartAsync(string pod, string container, ProcessSpec spec, CancellationToken cancellationToken, bool tty = false)
    {
        if (spec.User is not null)
        {
            throw new BackendOperationException("Running a process as another user is not possible through the Kubernetes exec API; the session user is used for every process.");
        }

        var what = $"pod {pod} (container {container})";
        if (!_v4Only)
        {
            var socket = await OpenAsync(pod, container, ExecCommand.Build(spec, framedStdin: false), WebSocketProtocol.V5BinaryWebsocketProtocol, tty, spec.RedirectStandardInput, cancellationToken).ConfigureAwait(false);
            if (socket?.SubProtocol == WebSocketProtocol.V5BinaryWebsocketProtocol)
            {
                return new ExecSession(socket, framedStdin: false, spec.RedirectStandardInput, what);
            }

            // Refused, or a server that ignored the protocol list: do not trust it to close stdin.
            socket?.Abort();
            socket?.Dispose();
        }

        // A TTY session never frames stdin: the framing pipe would stand between the pty and the command.
        var framed = spec.RedirectStandardInput && !tty;
        var v4 = await OpenAsync(pod, container, ExecCommand.Build(spec, framed), WebSocketProtocol.V4BinaryWebsocketProtocol, tty, spec.RedirectStandardInput, cancellationToken).ConfigureAwait(false)
            ?? throw new BackendOperationException($"The API server refused the exec stream protocols v5 and v4 for {what}.");
        _v4Only = true;
        return new ExecSession(v4, framed, spec.RedirectStandardInput, what);
    }

    /// <summary>Connects, or returns <c>null</c> when the server refuses <paramref name="protocol"/>.</summary>
    private async Task<WebSocket?> OpenAsync(string pod, string container, IReadOnlyList<string> command, string protocol, bool tty, bool stdin, CancellationToken cancellationToken)
    {
        try
        {
            return await pipeline.ExecuteAsync(
                async ct =>
                {
                    try
                    {
                        return await client.WebSocketNamespacedPodExecAsync(
                            pod, ns, command, container, stderr: !tty, stdin: stdin, stdout: true, tty: tty,
                            webSocketSubProtocol: protocol, cancellationToken: ct).ConfigureAwait(false);
                    }
                    catch (WebSocketException e) when (e.WebSocketErrorCode != WebSocketError.ConnectionClosedPrematurely)
                    {
                        // Every non-101 answer arrives here (ClientWebSocket keeps only the status, in the message).
                        // Only a 400 or a handshake without our protocol is a refusal of the protocol; a 429/5xx is a
                        // transient failure to retry — taking it for a refusal would downgrade to v4 for good.
                        // A connection lost during the handshake (no status at all) is transient too.
                        var status = HandshakeStatus(e);
                        if (status == 400 || e.WebSocketErrorCode == WebSocketError.UnsupportedProtocol)
                        {
                            throw new ProtocolRefusedException(e);
                        }

                        if (status is { } rejected && rejected != 429 && rejected < 500)
                        {
                            throw new HandshakeRejectedException(rejected, e);
                        }

                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ProtocolRefusedException)
        {
            return null;
        }
        catch (HandshakeRejectedException e)
        {
            throw new BackendOperationException($"Could not start a process in pod {pod}: the API server answered {e.Status} to the exec request.", e.InnerException);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.BadRequest && protocol == WebSocketProtocol.V5BinaryWebsocketProtocol)
        {
            // Some servers answer an unsupported protocol with 400; a real 400 shows again on the v4 attempt.
            return null;
        }
        catch (HttpOperationException e)
        {
            throw new BackendOperationException($"Could not start a process in pod {pod}: {(int?)e.Response?.StatusCode} {e.Response?.Content}", e);
        }
        catch (Exception e) when (e is HttpRequestException or WebSocketException or IOException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new BackendOperationException($"Could not start a process in pod {pod}: {e.Message}", e);
        }
    }

    /// <summary>The HTTP status of a failed WebSocket handshake ("The server returned status code '500' when ..."), or <c>null</c>.</summary>
    internal static int? HandshakeStatus(WebSocketException e)
    {
        if (e.WebSocketErrorCode != WebSocketError.NotAWebSocket)
        {
            return null;
        }

        var match = StatusInMessage().Match(e.Message);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex("'([1-5][0-9]{2})'")]
    private static partial Regex StatusInMessage();

    private sealed class ProtocolRefusedException(Exception inner) : Exception("protocol refused", inner);

    private sealed class HandshakeRejectedException(int status, Exception inner) : Exception($"handshake answered {status}", inner)
    {
        public int Status { get; } = status;
    }
}
