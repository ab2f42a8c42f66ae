using System.Diagnostics;
using System.Text;
using k8s;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// The real <c>kubectl port-forward</c> (SPDY/3.1 <c>portforward.k8s.io</c>, tunnelled in a WebSocket by default, or
/// after an HTTP upgrade when <c>KUBECTL_PORT_FORWARD_WEBSOCKETS=false</c>) against the test server, to a real HTTP
/// server on the pod's loopback: byte-exact answers for many parallel connections, two kubectl processes at once,
/// and a port nobody listens on reported as a cluster reports it.
/// </summary>
public sealed class KubectlPortForwardTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string AgentImage = "localhost/paude-agent:latest";
    private const int Files = 100;

    [Fact]
    public async Task Kubectl_port_forward_carries_100_parallel_requests_byte_exact_and_a_second_kubectl()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var name = await StartFileServerPodAsync(cts.Token);
        await using var first = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "8080", websockets: true, cts.Token);
        await using var second = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "8080", websockets: true, cts.Token);

        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) };
        var requests = Enumerable.Range(0, Files).Select(async i =>
        {
            var port = i % 4 == 0 ? second.LocalPort : first.LocalPort;
            var body = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{port}/f{i}"), cts.Token);
            return (i, body);
        }).ToList();
        foreach (var (i, body) in await Task.WhenAll(requests))
        {
            Assert.True(Expected(i).AsSpan().SequenceEqual(body), $"file f{i}: {body.Length} bytes, expected {Expected(i).Length}");
        }

        // A large answer (about 4.6 MB) arrives whole, and both forwards are still up afterwards.
        var large = await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{first.LocalPort}/large"), cts.Token);
        Assert.True(Sequence(700_000).AsSpan().SequenceEqual(large), $"large: {large.Length} bytes");
        Assert.False(first.HasExited, first.Output);
        Assert.False(second.HasExited, second.Output);
    }

    [Fact]
    public async Task Kubectl_port_forward_over_the_spdy_upgrade_fallback_is_byte_exact()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartFileServerPodAsync(cts.Token);
        await using var forward = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "8080", websockets: false, cts.Token);

        using var http = new HttpClient();
        var bodies = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{forward.LocalPort}/f{i * 10}"), cts.Token)));
        for (var i = 0; i < bodies.Length; i++)
        {
            Assert.True(Expected(i * 10).AsSpan().SequenceEqual(bodies[i]), $"file f{i * 10}");
        }
    }

    [Fact]
    public async Task Kubectl_port_forward_to_a_port_nothing_listens_on_reports_the_error()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartFileServerPodAsync(cts.Token);
        await using var forward = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "9", websockets: true, cts.Token);

        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync("127.0.0.1", forward.LocalPort, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("GET / HTTP/1.0\r\n\r\n"u8.ToArray(), cts.Token);
        var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token);
        Assert.Equal(0, answer.Length);

        // As against a cluster: kubectl names the forward and relays the kubelet's message from the error stream.
        await Eventually.UntilAsync(() => Task.FromResult(forward.Output), o => o.Contains("an error occurred forwarding", StringComparison.Ordinal), "kubectl reports the error");
        Assert.Contains("-> 9: error forwarding port 9 to pod", forward.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_the_pod_does_not_read_leaves_the_others_of_the_same_kubectl_flowing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var name = await StartFileServerPodAsync(cts.Token, listeners: true);
        await using var forward = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, ["8080", "9000"], websockets: true, cts.Token);

        // One kubectl session carries both ports. On 9000 socat hands the bytes to a sleep that never reads them:
        // 12 MiB is more than the pipes and sockets between can hold, so most of it waits at the server.
        using var stalled = new System.Net.Sockets.TcpClient();
        await stalled.ConnectAsync("127.0.0.1", forward.LocalPorts["9000"], cts.Token);
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < 12 * 16; i++)
        {
            await stalled.GetStream().WriteAsync(chunk, cts.Token);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(Expected(5), await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{forward.LocalPort}/f5"), cts.Token));
        Assert.False(forward.HasExited, forward.Output);
    }

    [Fact]
    public async Task A_large_upload_through_kubectl_arrives_whole_however_far_the_pod_side_lags()
    {
        // kubectl sends without regard for SPDY windows: the server buffers what the pod side has not taken yet, and past
        // its limit slows kubectl down. (The pod counts 64 MiB and stops: the port relay passes on no half-close.)
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var name = await StartFileServerPodAsync(cts.Token, listeners: true);
        await using var forward = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, ["8080", "9001"], websockets: true, cts.Token);
        const int Mebibytes = 64;
        using (var upload = new System.Net.Sockets.TcpClient())
        {
            await upload.ConnectAsync("127.0.0.1", forward.LocalPorts["9001"], cts.Token);
            var stream = upload.GetStream();
            var chunk = new byte[1024 * 1024];
            for (var i = 0; i < Mebibytes; i++)
            {
                await stream.WriteAsync(chunk, cts.Token);
            }

        }

        using var http = new HttpClient();
        var size = await Eventually.UntilAsync(
            async () => await http.GetAsync(new Uri($"http://127.0.0.1:{forward.LocalPort}/upload-size"), cts.Token),
            r => r.IsSuccessStatusCode,
            "the pod counted the upload");
        Assert.Equal((Mebibytes * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), (await size.Content.ReadAsStringAsync(cts.Token)).Trim());
    }

    [Fact]
    public async Task A_hostile_spdy_client_gets_goaway_and_the_server_keeps_serving_kubectl()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await StartFileServerPodAsync(cts.Token);

        // The HTTP upgrade kubectl falls back to, then a SYN_STREAM whose header block is no zlib stream.
        using var tcp = new System.Net.Sockets.TcpClient();
        var stream = await UpgradeToSpdyAsync(fixture, tcp, name, cts.Token);
        byte[] synStream = [0x80, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, .. "garbage!"u8.ToArray()];
        await stream.WriteAsync(synStream, cts.Token);
        var goAway = new byte[16];
        await stream.ReadExactlyAsync(goAway, cts.Token);
        Assert.Equal(new byte[] { 0x80, 0x03, 0x00, 0x07, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1 }, goAway);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], cts.Token));

        await using var forward = await KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "8080", websockets: true, cts.Token);
        using var http = new HttpClient();
        Assert.Equal(Expected(3), await http.GetByteArrayAsync(new Uri($"http://127.0.0.1:{forward.LocalPort}/f3"), cts.Token));
    }

    /// <summary>The HTTP upgrade to SPDY/3.1 that kubectl falls back to, by hand: the stream after the 101 answer.</summary>
    internal static async Task<System.Net.Sockets.NetworkStream> UpgradeToSpdyAsync(ServerFixture fixture, System.Net.Sockets.TcpClient tcp, string pod, CancellationToken ct)
    {
        await tcp.ConnectAsync(fixture.Server.BaseAddress.Host, fixture.Server.BaseAddress.Port, ct);
        var stream = tcp.GetStream();
        var request = $"POST /api/v1/namespaces/paude/pods/{pod}/portforward HTTP/1.1\r\nHost: {fixture.Server.BaseAddress.Authority}\r\n"
            + "Authorization: Bearer paude-test-token\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
            + "X-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var b = stream.ReadByte();
            Assert.NotEqual(-1, b);
            head.Append((char)b);
        }

        Assert.StartsWith("HTTP/1.1 101", head.ToString(), StringComparison.Ordinal);
        Assert.Contains("X-Stream-Protocol-Version: portforward.k8s.io", head.ToString(), StringComparison.OrdinalIgnoreCase);
        return stream;
    }

    /// <summary>
    /// A pod whose busybox httpd serves, on 127.0.0.1:8080 only, files f0..f99 (<c>seq 1 (37·i + 1)</c>) and
    /// <c>large</c> (<c>seq 1 700000</c>), so the expected bytes are known without reading them back.
    /// </summary>
    private Task<string> StartFileServerPodAsync(CancellationToken ct, bool listeners = false) => StartFileServerPodAsync(fixture, ct, listeners);

    internal static async Task<string> StartFileServerPodAsync(ServerFixture fixture, CancellationToken ct, bool listeners = false)
    {
        var name = $"kpf-{Guid.NewGuid().ToString("N")[..6]}";
        var script = "mkdir -p /tmp/www && cd /tmp/www && i=0 && while [ $i -lt " + Files + " ]; do seq 1 $((37 * i + 1)) > f$i; i=$((i + 1)); done"
            + " && seq 1 700000 > large"
            + (listeners ? " && { socat TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr,fork EXEC:'sleep 100000' & }" : "")
            + (listeners ? " && { socat TCP-LISTEN:9001,bind=127.0.0.1,reuseaddr SYSTEM:'head -c 67108864 | wc -c > /tmp/up && mv /tmp/up /tmp/www/upload-size' & }" : "")
            + " && touch ready && exec busybox httpd -f -p 127.0.0.1:8080 -h /tmp/www";
        var pod = Manifests.Pod(name, AgentImage, ["sh", "-c", script]);
        await fixture.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude", cancellationToken: ct);
        await Wait.UntilAsync(
            async () => await fixture.Client.CoreV1.ReadNamespacedPodAsync(name, "paude", cancellationToken: ct),
            p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true,
            "container running");
        await Eventually.UntilAsync(
            async () => (await fixture.Kubectl.RunAsync(["-n", "paude", "exec", name, "--", "test", "-e", "/tmp/www/ready"])).ExitCode,
            code => code == 0,
            "files written");
        return name;
    }

    internal static byte[] Expected(int i) => Sequence((37 * i) + 1);

    private static byte[] Sequence(int last)
    {
        var text = new StringBuilder();
        for (var n = 1; n <= last; n++)
        {
            text.Append(n).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>A running <c>kubectl port-forward pod/NAME :REMOTE...</c> and the local ports it picked.</summary>
    internal sealed class KubectlForward : IAsyncDisposable
    {
        private readonly Process process;
        private readonly StringBuilder output = new();

        private KubectlForward(Process process) => this.process = process;

        /// <summary>The local port of the first remote port.</summary>
        public int LocalPort { get; private set; }

        public IReadOnlyDictionary<string, int> LocalPorts { get; private set; } = new Dictionary<string, int>();

        public bool HasExited => process.HasExited;

        public string Output
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public static Task<KubectlForward> StartAsync(string kubeconfig, string pod, string remote, bool websockets, CancellationToken ct) =>
            StartAsync(kubeconfig, pod, [remote], websockets, ct);

        public static async Task<KubectlForward> StartAsync(string kubeconfig, string pod, string[] remotes, bool websockets, CancellationToken ct)
        {
            var info = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in (string[])["--kubeconfig", kubeconfig, "-n", "paude", "port-forward", $"pod/{pod}", .. remotes.Select(r => $":{r}"), "-v=0"])
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = websockets ? "true" : "false";
            var forward = new KubectlForward(Process.Start(info)!);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var ports = new Dictionary<string, int>();
            void Line(object sender, DataReceivedEventArgs e)
            {
                if (e.Data is null)
                {
                    return;
                }

                lock (forward.output)
                {
                    forward.output.AppendLine(e.Data);
                }

                // "Forwarding from 127.0.0.1:41234 -> 8080"
                const string Prefix = "Forwarding from 127.0.0.1:";
                if (e.Data.StartsWith(Prefix, StringComparison.Ordinal))
                {
                    lock (ports)
                    {
                        ports[e.Data[(e.Data.LastIndexOf(' ') + 1)..]] = int.Parse(e.Data[Prefix.Length..e.Data.IndexOf(' ', Prefix.Length)], System.Globalization.CultureInfo.InvariantCulture);
                        if (remotes.All(ports.ContainsKey))
                        {
                            ready.TrySetResult();
                        }
                    }
                }
            }

            forward.process.OutputDataReceived += Line;
            forward.process.ErrorDataReceived += Line;
            forward.process.BeginOutputReadLine();
            forward.process.BeginErrorReadLine();
            try
            {
                await ready.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
                forward.LocalPorts = ports;
                forward.LocalPort = ports[remotes[0]];
            }
            catch (TimeoutException)
            {
                await forward.DisposeAsync();
                throw new Xunit.Sdk.XunitException($"kubectl port-forward did not start: {forward.Output}");
            }

            return forward;
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }
}
