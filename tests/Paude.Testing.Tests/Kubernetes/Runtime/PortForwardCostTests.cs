using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using k8s;
using Paude.Testing.Kubernetes;
using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// What a forwarded connection costs the machine: the server used to start a <c>podman exec</c> per connection
/// (0.3–2 s of podman CPU each here), so 100 parallel requests through the OpenShift backend outran a 120 s HTTP
/// timeout on a loaded machine. Podman runs through a wrapper that logs every invocation, so the count is exact.
/// </summary>
public sealed class PortForwardCostTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AgentImage = "localhost/paude-agent:latest";
    private const int Connections = 100;

    private readonly string _dir = Directory.CreateTempSubdirectory("paude-pfcost-").FullName;
    private KubernetesTestServer _server = null!;
    private IKubernetes _client = null!;

    private string Log => Path.Combine(_dir, "podman.log");

    public async Task InitializeAsync()
    {
        var wrapper = Path.Combine(_dir, "podman");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/bash\nprintf '%s %s\\n' \"$1\" \"$2\" >> '{Log}'\nexec podman \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            PodmanPath = wrapper,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId },
        });
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Hundred_parallel_forwarded_connections_start_no_podman_process_and_arrive_whole()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        const string Name = "pfcost";
        await _client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(Name, AgentImage, ["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"]), "default", cancellationToken: cts.Token);
        await Wait.UntilAsync(
            async () => await _client.CoreV1.ReadNamespacedPodAsync(Name, "default", cancellationToken: cts.Token),
            p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true,
            "container running");
        await Wait.UntilAsync(() => RequestAsync(Name, cts.Token), a => a.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), "httpd answering");

        var before = await File.ReadAllLinesAsync(Log, cts.Token);
        var watch = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => RequestAsync(Name, cts.Token)));
        watch.Stop();
        var started = (await File.ReadAllLinesAsync(Log, cts.Token)).Skip(before.Length).ToList();
        var execs = started.Count(l => l.StartsWith("exec ", StringComparison.Ordinal));
        output.WriteLine($"{Connections} parallel forwarded requests: {watch.Elapsed.TotalSeconds:F2} s; podman processes started meanwhile: {started.Count} ({execs} exec)");
        foreach (var kind in started.GroupBy(l => string.Join(' ', l.Split(' ').Take(2))).OrderByDescending(g => g.Count()))
        {
            output.WriteLine($"  {kind.Count()} × podman {kind.Key}");
        }


        Assert.All(answers, a => Assert.EndsWith(Name, a.TrimEnd(), StringComparison.Ordinal));
        Assert.All(answers, a => Assert.StartsWith("HTTP/1.1 200 OK", a, StringComparison.Ordinal));
        Assert.Equal(0, execs);
    }

    /// <summary>One forwarded HTTP/1.0 request for the pod's /etc/hostname, as the OpenShift backend sends it (a WebSocket per connection).</summary>
    private async Task<string> RequestAsync(string pod, CancellationToken ct)
    {
        using var socket = await _client.WebSocketNamespacedPodPortForwardAsync(pod, "default", [8080], WebSocketProtocol.V4BinaryWebsocketProtocol, cancellationToken: ct);
        await PortForwardTests.ReceiveAsync(socket, ct);
        await PortForwardTests.ReceiveAsync(socket, ct);
        await socket.SendAsync(Encoding.ASCII.GetBytes("\0GET /hostname HTTP/1.0\r\n\r\n"), WebSocketMessageType.Binary, true, ct);
        var answer = new StringBuilder();
        while (await PortForwardTests.ReceiveAsync(socket, ct) is { } message)
        {
            if (message[0] == 0)
            {
                answer.Append(Encoding.ASCII.GetString(message, 1, message.Length - 1));
            }
        }

        return answer.ToString();
    }
}
