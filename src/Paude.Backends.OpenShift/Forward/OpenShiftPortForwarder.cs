using System.Net.WebSockets;
using k8s;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Exec;
using Paude.Errors;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Forward;

/// <summary>Port forwarding through the Kubernetes port-forward API (as kubectl does): one WebSocket per local connection.</summary>
internal sealed class OpenShiftPortForwarder(KubeApi api, AgentChannel channel, ILogger logger)
{
    public async Task<IPortForward> ForwardPortAsync(SessionName name, PortForwardSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        var (pod, _) = await channel.RequireRunningAgentAsync(name, cancellationToken).ConfigureAwait(false);
        return PortForwarding.Listen(spec, ct => OpenAsync(pod, spec.SessionPort, ct), logger, cancellationToken);
    }

    private async Task<SessionConnection> OpenAsync(string pod, int port, CancellationToken cancellationToken)
    {
        try
        {
            var socket = await api.Client.WebSocketNamespacedPodPortForwardAsync(pod, api.Namespace, [port], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new PortForwardSocket(socket);
        }
        catch (WebSocketException e)
        {
            throw new BackendOperationException($"The API server refused to forward port {port} of pod {pod}: {e.Message}", e);
        }
    }
}
