using System.Net;
using System.Net.Sockets;
using System.Text;
using Paude.Forwarding;

namespace Paude.Tests.Forwarding;

/// <summary>
/// The session scripts of Paude.Abstractions run directly with bash on the host (no container): the port relay
/// (<c>src/Shared/Forwarding/Scripts/port-relay.sh</c>) and its probe, against a loopback listener.
/// </summary>
public sealed class ForwardingScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RelayCarriesBytesBothWaysAndExits0WhenTheServerCloses()
    {
        var (port, server) = ServeOne(async stream =>
        {
            var buffer = new byte[5];
            await stream.ReadExactlyAsync(buffer);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("got " + Encoding.ASCII.GetString(buffer)));
            return Encoding.ASCII.GetString(buffer);
        });

        // The client keeps stdin open after its bytes (as a live connection does): the server's close ends the relay.
        var outcome = await RelayAsync(port, "hello");

        Assert.Equal("hello", await server);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("got hello", outcome.StandardOutput);
    }

    [Fact]
    public async Task ClientsHalfCloseReachesTheServerWhichStillAnswers()
    {
        // A server that answers only after the request's end (EOF), as a shutdown(SHUT_WR) client expects: the relay
        // must pass the end of stdin on as a FIN and still carry the answer back.
        var (port, server) = ServeOne(async stream =>
        {
            var text = Encoding.ASCII.GetString(await ReadToEndAsync(stream));
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"{text.Length} bytes: {text}"));
            return text;
        });

        var outcome = await RelayThenEndStdinAsync(port, Encoding.ASCII.GetBytes("hello, then EOF"));

        Assert.Equal("hello, then EOF", await server.WaitAsync(Limit));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("15 bytes: hello, then EOF", outcome.StandardOutput);
    }

    [Fact]
    public async Task RelayCarriesThreeMebibytesOfBinaryUnchanged()
    {
        var payload = new byte[3 << 20];
        new Random(7).NextBytes(payload);
        var (port, server) = ServeOne(async stream =>
        {
            var request = await ReadToEndAsync(stream);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(Sha256Hex(request)));
            return request;
        });

        var outcome = await RelayThenEndStdinAsync(port, payload);

        Assert.Equal(payload, await server.WaitAsync(Limit));
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(Sha256Hex(payload), outcome.StandardOutput);
    }

    [Fact]
    public async Task RelayExits1OnARefusedPort()
    {
        // No stdin: the refused relay exits before reading it, so writing would race the broken pipe.
        var outcome = await ProcessRunner.RunAsync("bash", PortRelayScript.Command(ClosedPort()).Skip(1));
        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("refused", outcome.StandardError, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RelayNeverRunsItsArgumentAsCode()
    {
        using var temp = new TempFolder();
        var marker = Path.Combine(temp.Path, "pwned");
        var hostile = $"1$(touch {marker})`touch {marker}`; touch {marker}";

        var relay = await ProcessRunner.RunAsync("bash", ["-c", PortRelayScript.Script, "relay", hostile], stdin: null, workingDirectory: temp.Path);

        Assert.Equal(1, relay.ExitCode);
        Assert.False(File.Exists(marker), "an argument was run as shell code");
    }

    [Fact]
    public async Task RelayProbeFindsPerl()
    {
        var outcome = await ProcessRunner.RunAsync("bash", ["-c", PortRelayScript.Probe]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.EndsWith("/perl", outcome.StandardOutput.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void ScriptsSentIntoTheSessionCarryNoHeaderComment()
    {
        Assert.StartsWith("exec 3<>", PortRelayScript.Script, StringComparison.Ordinal);
        Assert.DoesNotContain("# ", PortRelayScript.Script, StringComparison.Ordinal);
        Assert.Equal(["bash", "-c", PortRelayScript.Script, "relay", "8080"], PortRelayScript.Command(8080));
    }

    private static Task<ProcessOutcome> RelayAsync(int port, string input) =>
        ProcessRunner.RunAsync(
            "bash",
            PortRelayScript.Command(port).Skip(1),
            async stdin =>
            {
                await stdin.WriteAsync(Encoding.ASCII.GetBytes(input));
                await stdin.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(1)); // stdin stays open a while: the server's close must end the relay
            },
            timeout: Limit);

    /// <summary>A loopback server for one connection: its port, and what <paramref name="serve"/> returns (the connection then closes).</summary>
    private static (int Port, Task<T> Served) ServeOne<T>(Func<NetworkStream, Task<T>> serve)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = Task.Run(async () =>
        {
            using (listener)
            {
                using var client = await listener.AcceptTcpClientAsync();
                return await serve(client.GetStream());
            }
        });
        return (port, served);
    }

    private static async Task<byte[]> ReadToEndAsync(NetworkStream stream)
    {
        using var request = new MemoryStream();
        await stream.CopyToAsync(request); // until the client's FIN
        return request.ToArray();
    }

    /// <summary>The relay with <paramref name="input"/> on stdin, which then closes (the client's half-close).</summary>
    private static Task<ProcessOutcome> RelayThenEndStdinAsync(int port, byte[] input) =>
        ProcessRunner.RunAsync("bash", PortRelayScript.Command(port).Skip(1), async stdin => await stdin.WriteAsync(input), timeout: Limit);

    private static string Sha256Hex(byte[] data) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // stopped on dispose: connections are refused afterwards
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("paude-script-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
