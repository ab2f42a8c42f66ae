using System.Net.WebSockets;
using k8s;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// Opens exec sessions in a pod container. Asks for <c>v5.channel.k8s.io</c> first (stdin can be closed); a server
/// that refuses it gets <c>v4.channel.k8s.io</c> and, when stdin is used, the framing wrapper. The answer is
/// remembered per backend so the fallback costs one extra handshake only once.
/// </summary>
internal sealed class PodExec(IKubernetes client, string ns)
{
    private volatile bool _v4Only;

    public async Task<ExecSession> StartAsync(string pod, string container, ProcessSpec spec, CancellationToken cancellationToken, bool tty = false)
    {
        if (spec.User is not null)
        {
            throw new BackendOperationException("Running a process as another user is not possible through the Kubernetes exec API; the session user is used for every process.");
        }

        var what = $"pod {pod} (container {container})";
        if (!_v4Only)
        {
            try
            {
                var socket = await OpenAsync(pod, container, ExecCommand.Build(spec, framedStdin: false), WebSocketProtocol.V5BinaryWebsocketProtocol, tty, cancellationToken).ConfigureAwait(false);
                if (socket.SubProtocol == WebSocketProtocol.V5BinaryWebsocketProtocol)
                {
                    return new ExecSession(socket, framedStdin: false, spec.RedirectStandardInput, what);
                }

                // A server that ignored the protocol list: do not trust it to close stdin.
                socket.Abort();
                socket.Dispose();
            }
            catch (WebSocketException)
            {
                // The handshake was refused: the server predates v5.
            }

            _v4Only = true;
        }

        var framed = spec.RedirectStandardInput;
        var v4 = await OpenAsync(pod, container, ExecCommand.Build(spec, framed), WebSocketProtocol.V4BinaryWebsocketProtocol, tty, cancellationToken).ConfigureAwait(false);
        return new ExecSession(v4, framed, spec.RedirectStandardInput, what);
    }

    private async Task<WebSocket> OpenAsync(string pod, string container, IReadOnlyList<string> command, string protocol, bool tty, CancellationToken cancellationToken)
    {
        try
        {
            return await client.WebSocketNamespacedPodExecAsync(
                pod, ns, command, container, stderr: !tty, stdin: true, stdout: true, tty: tty,
                webSocketSubProtocol: protocol, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new BackendOperationException($"Could not start a process in pod {pod}: {(int?)e.Response?.StatusCode} {e.Response?.Content}", e);
        }
    }
}
