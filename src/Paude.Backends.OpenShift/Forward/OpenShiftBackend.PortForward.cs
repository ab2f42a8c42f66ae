using System.Net.WebSockets;
using k8s;
using Paude.Backends.OpenShift.Forward;
using Paude.Errors;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Port forwarding through the Kubernetes port-forward API (as kubectl does): one WebSocket per local connection.</summary>
internal sealed partial class OpenShiftBackend
{
    /// <inheritdoc />
    public async Task<IPortForward> ForwardPortAsync(SessionName name, PortForwardSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var (pod, _) = await _channel.RequireRunningAgentAsync(name, cancellationToken).ConfigureAwait(false);
        return PortForwarding.Listen(spec, ct => OpenPortForwardAsync(pod, spec.SessionPort, ct), _logger, cancellationToken);
    }

    private async Task<SessionConnection> OpenPortForwardAsync(string pod, int port, CancellationToken cancellationToken)
    {
        try
        {
            var socket = await _api.Client.WebSocketNamespacedPodPortForwardAsync(pod, Namespace, [port], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new PortForwardSocket(socket);
        }
        catch (WebSocketException e)
        {
            throw new BackendOperationException($"The API server refused to forward port {port} of pod {pod}: {e.Message}", e);
        }
    }
}
