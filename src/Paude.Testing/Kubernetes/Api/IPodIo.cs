using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>The pod endpoints that reach into a running container: exec/attach and port forwarding (WebSocket) and logs.</summary>
internal interface IPodIo
{
    Task ExecAsync(HttpContext context, JsonObject pod, bool attach);

    Task LogsAsync(HttpContext context, JsonObject pod);

    Task PortForwardAsync(HttpContext context, JsonObject pod);
}
