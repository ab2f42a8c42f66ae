using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Exec over WebSocket (<c>v5.channel.k8s.io</c>, <c>v4.channel.k8s.io</c>) backed by a streaming
/// <c>podman exec -i</c>, and container logs backed by <c>podman logs</c>. Nothing is buffered whole.
/// </summary>
internal sealed partial class PodIo(ServerResources resources, PodmanCli podman) : IPodIo
{
    private static readonly string[] Protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private readonly PodNetworkNamespace _network = new(podman);

    /// <summary>See <see cref="KubernetesTestServerOptions.StreamIdleTimeout"/>.</summary>
    internal TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromMinutes(1);

    public async Task ExecAsync(HttpContext context, JsonObject pod, bool attach)
    {
        if (attach)
        {
            throw KubeApiException.BadRequest("attach is not supported by the Kubernetes test server; use exec");
        }

        var query = context.Request.Query;
        var container = ResolveContainer(pod, query["container"]);
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (command.Count == 0)
        {
            throw KubeApiException.BadRequest("you must specify at least 1 command");
        }

        if (!IsRunning(pod, container))
        {
            throw KubeApiException.BadRequest($"container not found (\"{container}\")");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw KubeApiException.BadRequest("Upgrade request required");
        }

        // No subprotocol offered (KubernetesClient's default) is the legacy channel.k8s.io: same framing; the
        // error channel still carries a Status JSON here, which is what v4 clients (and KubernetesClient) parse.
        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = Protocols.FirstOrDefault(requested.Contains);
        if (protocol is null && requested.Count > 0)
        {
            throw KubeApiException.BadRequest($"the server supports only the v5.channel.k8s.io and v4.channel.k8s.io WebSocket subprotocols, not {string.Join(", ", requested)}");
        }

        var stdin = ApiHandler.IsTrue(query["stdin"]);
        var tty = ApiHandler.IsTrue(query["tty"]);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(KeepAlive(protocol)).ConfigureAwait(false);
        var marker = ExecMarker.New();
        var args = new List<string> { "exec", "-i", "--env", $"{ExecMarker.Variable}={marker}" };
        if (tty)
        {
            args.AddRange(["-t", "--env", "TERM=xterm"]);
        }

        var podmanName = resources.Container(pod.Namespace()!, pod.Name(), container);
        args.Add(podmanName);
        args.AddRange(command);
        ExecTerminal? terminal = null;
        if (tty)
        {
            // With -t the pty merges stderr into stdout (like a real kubelet's TTY exec) and channel 4 resizes it.
            terminal = new ExecTerminal(podman, podmanName, command);
            await terminal.PrepareAsync(context.RequestAborted).ConfigureAwait(false);
        }

        using var process = podman.Start(args, redirectStdin: true);
        using var sendLock = new SemaphoreSlim(1);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var ct = abort.Token;
        if (!stdin)
        {
            process.StandardInput.Close();
        }

        var stdout = PumpAsync(process.StandardOutput.BaseStream, 1, socket, sendLock, ct);
        var stderr = PumpAsync(process.StandardError.BaseStream, 2, socket, sendLock, ct);
        var receive = ReceiveAsync(socket, process, stdin, protocol == Protocols[0], terminal, abort);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            var status = await ExitStatusAsync(podmanName, command, process.ExitCode, ct).ConfigureAwait(false);
            await SendAsync(socket, sendLock, 3, Encoding.UTF8.GetBytes(status.ToJsonString()), ct).ConfigureAwait(false);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The client went away: the command must not outlive it (below).
        }
        finally
        {
            // Killing podman exec leaves the command running in the container (conmon holds the session): a command
            // still running when its client has gone is ended by its marker.
            if (!process.HasExited)
            {
                PodmanCli.TryKill(process);
                ExecMarker.KillAll(marker);
            }

            // Give the client time to read the status and answer the close: ending the connection at once resets
            // it, and a reset makes the client's kernel drop the status it has not read yet. A busy client (one
            // still unpacking a large download on a loaded machine) can take seconds to get there — 2 s was seen to
            // be too short — so wait up to 30 s; a client that answers the close ends the wait at once.
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None)).ConfigureAwait(false);
            await abort.CancelAsync().ConfigureAwait(false);
            await receive.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The channel-3 Status: Success, NonZeroExitCode with the code, or — when podman could not exec because the
    /// container is no longer running (it exited after the pod's status was last written) — the InternalError a
    /// kubelet answers then, so a client sees a failed exec rather than a command that exited 255.
    /// </summary>
    private async Task<JsonObject> ExitStatusAsync(string podmanName, List<string> command, int exitCode, CancellationToken ct)
    {
        if (exitCode is 125 or 255)
        {
            var (code, running, _) = await podman.RunAsync(["container", "inspect", "--format", "{{.State.Running}}", podmanName], ct).ConfigureAwait(false);
            if (code != 0 || running.Trim() != "true")
            {
                return new JsonObject
                {
                    ["metadata"] = new JsonObject(),
                    ["status"] = "Failure",
                    ["message"] = "Internal error occurred: error executing command in container: container is not created or running",
                    ["reason"] = "InternalError",
                    ["code"] = 500,
                };
            }
        }

        return exitCode == 0
            ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
            : new JsonObject
            {
                ["metadata"] = new JsonObject(),
                ["status"] = "Failure",
                ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {exitCode}",
                ["reason"] = "NonZeroExitCode",
                ["details"] = new JsonObject
                {
                    ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
                },
            };
    }

    public async Task LogsAsync(HttpContext context, JsonObject pod)
    {
        var query = context.Request.Query;
        var container = ResolveContainer(pod, query["container"]);
        var started = pod["status"]?["containerStatuses"].Objects().FirstOrDefault(s => s.Str("name") == container);
        if (started?["containerID"] is null)
        {
            var reason = started?["state"]?["waiting"]?.Str("reason") ?? "ContainerCreating";
            throw KubeApiException.BadRequest($"container \"{container}\" in pod \"{pod.Name()}\" is waiting to start: {reason}");
        }

        var args = new List<string> { "logs" };
        if (int.TryParse(query["tailLines"], out var tail))
        {
            args.AddRange(["--tail", tail.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        if (ApiHandler.IsTrue(query["follow"]))
        {
            args.Add("--follow");
        }

        if (ApiHandler.IsTrue(query["timestamps"]))
        {
            args.Add("--timestamps");
        }

        args.Add(resources.Container(pod.Namespace()!, pod.Name(), container));
        using var process = podman.Start(args, redirectStdin: false);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        var ct = context.RequestAborted;
        using var gate = new SemaphoreSlim(1);
        try
        {
            await Task.WhenAll(
                CopyAsync(process.StandardOutput.BaseStream, context.Response.Body, gate, ct),
                CopyAsync(process.StandardError.BaseStream, context.Response.Body, gate, ct)).ConfigureAwait(false);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // A follow ended by the client.
        }
        finally
        {
            PodmanCli.TryKill(process);
        }
    }

    private static async Task CopyAsync(Stream from, Stream to, SemaphoreSlim gate, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await to.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                await to.FlushAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private static string ResolveContainer(JsonObject pod, string? requested)
    {
        var names = pod["spec"]?["containers"].Objects().Select(c => c.Str("name") ?? "").ToList() ?? [];
        if (string.IsNullOrEmpty(requested))
        {
            return names.FirstOrDefault() ?? "";
        }

        return names.Contains(requested)
            ? requested
            : throw KubeApiException.BadRequest($"container {requested} is not valid for pod {pod.Name()}");
    }

    /// <summary>
    /// A WebSocket that pings its client every half of <see cref="StreamIdleTimeout"/> and is aborted (its pending
    /// receive fails, which ends the stream's command or relay) when a ping goes unanswered for the other half.
    /// </summary>
    private WebSocketAcceptContext KeepAlive(string? protocol) => StreamIdleTimeout == Timeout.InfiniteTimeSpan
        ? new WebSocketAcceptContext { SubProtocol = protocol, KeepAliveTimeout = Timeout.InfiniteTimeSpan }
        : new WebSocketAcceptContext { SubProtocol = protocol, KeepAliveInterval = StreamIdleTimeout / 2, KeepAliveTimeout = StreamIdleTimeout / 2 };

    /// <summary>The running container's id and start time (a restart gives it a new network namespace).</summary>
    private static string ContainerStart(JsonObject pod, string container) =>
        pod["status"]?["containerStatuses"].Objects().FirstOrDefault(s => s.Str("name") == container) is { } status
            ? $"{status.Str("containerID")}@{status["state"]?["running"]?.Str("startedAt")}"
            : "";

    private static bool IsRunning(JsonObject pod, string container) =>
        pod["status"]?["containerStatuses"].Objects().Any(s => s.Str("name") == container && s["state"]?["running"] is not null) == true;
}
