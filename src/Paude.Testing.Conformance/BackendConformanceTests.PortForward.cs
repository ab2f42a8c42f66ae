using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Paude.Errors;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>Port forwarding: a real HTTP server (busybox httpd) inside the session, reached from the host.</summary>
public abstract partial class BackendConformanceTests<TFixture>
{
    private const int ParallelRequests = 100;

    [SkippableFact]
    public async Task Port_forward_carries_100_parallel_http_requests_byte_exact()
    {
        Fixture.Require(BackendCapabilities.PortForward);
        var name = await Fixture.SharedSessionAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var files = await UploadPayloadAsync(name, ParallelRequests, cts.Token);
        var port = RandomSessionPort();
        await using var server = await StartHttpServerAsync(name, port, files.Directory, cts.Token);
        await using var forward = await Backend.ForwardPortAsync(name, new PortForwardSpec(0, port), cts.Token);
        Assert.Equal(IPAddress.Loopback, forward.LocalEndPoint.Address);
        Assert.NotEqual(0, forward.LocalEndPoint.Port);
        Assert.Equal(port, forward.SessionPort);

        using var http = NewClient();
        var baseUri = new Uri($"http://127.0.0.1:{forward.LocalEndPoint.Port}/");
        await WaitForHttpAsync(http, new Uri(baseUri, files.Names[0]), cts.Token);

        var watch = Stopwatch.StartNew();
        var bodies = await Task.WhenAll(files.Names.Select(f => http.GetByteArrayAsync(new Uri(baseUri, f), cts.Token)));
        watch.Stop();
        for (var i = 0; i < files.Names.Count; i++)
        {
            Assert.True(files.Contents[i].AsSpan().SequenceEqual(bodies[i]), $"{files.Names[i]}: {bodies[i].Length} bytes came back, {files.Contents[i].Length} expected, or they differ");
        }
    }

    [SkippableFact]
    public async Task Port_forward_survives_a_session_that_closes_the_connection_and_cancellation_closes_the_listener()
    {
        Fixture.Require(BackendCapabilities.PortForward);
        var name = await Fixture.SharedSessionAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var port = RandomSessionPort();
        var forward = await Backend.ForwardPortAsync(name, new PortForwardSpec(0, port), lifetime.Token);
        try
        {
            // Nothing listens in the session yet: the session side closes at once; the client sees the end, not a hang.
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(forward.LocalEndPoint, timeout.Token);
                var buffer = new byte[16];
                var n = await client.GetStream().ReadAsync(buffer, timeout.Token);
                Assert.Equal(0, n);
            }

            // The listener is still there for the next connection, which now reaches a server.
            var files = await UploadPayloadAsync(name, 1, timeout.Token);
            await using var server = await StartHttpServerAsync(name, port, files.Directory, timeout.Token);
            using var http = NewClient();
            var uri = new Uri($"http://127.0.0.1:{forward.LocalEndPoint.Port}/{files.Names[0]}");
            await WaitForHttpAsync(http, uri, timeout.Token);
            Assert.Equal(files.Contents[0], await http.GetByteArrayAsync(uri, timeout.Token));

            await lifetime.CancelAsync();
            await forward.Completion.WaitAsync(TimeSpan.FromSeconds(30), timeout.Token);
            using var late = new TcpClient();
            var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(forward.LocalEndPoint, timeout.Token).AsTask());
            // Refused as a rule. Seen once in a full run (both suites in parallel): reset instead, most likely another
            // test's forward bound the freed ephemeral port and closed it with this connect pending. Either way nothing
            // accepted the connection, which is what is asserted.
            Assert.Contains(refused.SocketErrorCode, (SocketError[])[SocketError.ConnectionRefused, SocketError.ConnectionReset]);
        }
        finally
        {
            await forward.DisposeAsync();
        }
    }

    [SkippableFact]
    public async Task Port_forward_refuses_a_missing_session_and_invalid_ports_typed()
    {
        Fixture.Require(BackendCapabilities.PortForward);
        await Assert.ThrowsAsync<SessionNotFoundException>(() => Backend.ForwardPortAsync(Fixture.NewName("pf-missing"), new PortForwardSpec(0, 8080)));
        var name = await Fixture.SharedSessionAsync();
        var invalid = await Assert.ThrowsAsync<InvalidPortForwardException>(() => Backend.ForwardPortAsync(name, new PortForwardSpec(70000, 0)));
        Assert.Equal(2, invalid.Errors.Count);
    }

    /// <summary>A random high port inside the session (its own loopback; sessions do not share one).</summary>
    private static int RandomSessionPort() => RandomNumberGenerator.GetInt32(20000, 30000);

    private static HttpClient NewClient() => new(new SocketsHttpHandler { MaxConnectionsPerServer = ParallelRequests, PooledConnectionLifetime = TimeSpan.Zero })
    {
        Timeout = TimeSpan.FromMinutes(2),
        DefaultRequestHeaders = { ConnectionClose = true }, // one TCP connection (one forward connection) per request
    };

    private static async Task WaitForHttpAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var response = await http.GetAsync(uri, ct);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (attempt < 60)
            {
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    private async Task<ISessionProcess> StartHttpServerAsync(SessionName name, int port, string directory, CancellationToken ct) =>
        await Backend.StartProcessAsync(name, new ProcessSpec(Fixture.HttpServerCommand(port, directory)), ct);

    private async Task<(string Directory, List<string> Names, List<byte[]> Contents)> UploadPayloadAsync(SessionName name, int count, CancellationToken ct)
    {
        var local = Directory.CreateTempSubdirectory("paude-pf-");
        try
        {
            var names = new List<string>();
            var contents = new List<byte[]>();
            for (var i = 0; i < count; i++)
            {
                // Sizes from empty-ish to 256 KiB: several reads and writes per response on every path.
                var bytes = RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(1, 256 * 1024));
                var file = $"f{i}.bin";
                await File.WriteAllBytesAsync(Path.Combine(local.FullName, file), bytes, ct);
                names.Add(file);
                contents.Add(bytes);
            }

            var remote = Fixture.SessionPath(name, $"/tmp/pf-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
            await DirectoryChannel.UploadAsync(Backend, name, local.FullName, remote, exclude: null, ct);
            return (remote, names, contents);
        }
        finally
        {
            local.Delete(recursive: true);
        }
    }
}
