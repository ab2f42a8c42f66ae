using System.Diagnostics;
using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// 50 MiB over HTTP from busybox httpd in a session: through <c>ForwardPortAsync</c> (HttpClient on the local
/// port) vs a direct <c>podman exec -i</c> running the same bash relay with the request on stdin (target ≤ 1.5).
/// </summary>
public sealed class PodmanPortForwardBenchmark : IBenchmark
{
    private const int Port = 18080;
    private const int Mebibytes = 50;

    /// <inheritdoc />
    public string Id => "podman-port-forward";

    /// <inheritdoc />
    public string Description => $"{Mebibytes} MiB over HTTP through ForwardPortAsync vs a direct podman exec -i relay";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("bf");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        var name = SessionName.Parse($"{run}-pf");
        var container = $"paude-{name}";
        try
        {
            await backend.CreateAsync(new SessionSpec { Name = name, AgentCommand = ["bash", "-c", "exec sleep infinity"], Egress = EgressPolicy.Parse(["allowed.paude.test"]) }, cancellationToken);
            await backend.ExecAsync(name, ["sh", "-c", $"mkdir -p /tmp/www && head -c {Mebibytes}M /dev/urandom > /tmp/www/big"], cancellationToken);
            await using var server = await backend.StartProcessAsync(name, new ProcessSpec(["busybox", "httpd", "-f", "-p", $"127.0.0.1:{Port}", "-h", "/tmp/www"]), cancellationToken);
            await using var forward = await backend.ForwardPortAsync(name, new PortForwardSpec(0, Port), cancellationToken);
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            var uri = new Uri($"http://127.0.0.1:{forward.LocalEndPoint.Port}/big");
            long sdkBytes = 0, relayBytes = 0;
            var (sdk, relay) = await Measure.AlternateAsync(
                context.Iterations,
                async _ =>
                {
                    using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    sdkBytes = await CountAsync(body, cancellationToken);
                },
                async _ => relayBytes = await RelayAsync(container, cancellationToken),
                _ => Task.CompletedTask);
            var sdkMedian = Measure.Median(sdk);
            var relayMedian = Measure.Median(relay);
            return new BenchmarkReport(
                Id,
                [
                    ("payload MiB", Mebibytes), ("sdk body bytes", sdkBytes), ("relay bytes (incl. headers)", relayBytes),
                    ("sdk ForwardPortAsync median ms", sdkMedian), ("podman exec -i relay median ms", relayMedian),
                    ("sdk MiB/s", Mebibytes / (sdkMedian / 1000)), ("relay MiB/s", Mebibytes / (relayMedian / 1000)),
                ],
                sdkMedian / relayMedian,
                1.5);
        }
        finally
        {
            await backend.DeleteAsync(name, CancellationToken.None);
        }
    }

    private static async Task<long> RelayAsync(string container, CancellationToken ct)
    {
        var info = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["exec", "-i", container, "bash", "-c", PortRelayScriptText, "relay", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardInput.WriteAsync("GET /big HTTP/1.0\r\n\r\n");
        await process.StandardInput.FlushAsync(ct);
        var bytes = await CountAsync(process.StandardOutput.BaseStream, ct);
        process.StandardInput.Close();
        await process.WaitForExitAsync(ct);
        _ = await stderr;
        return bytes;
    }

    // The SDK's relay (PortRelayScript is internal to Paude.Abstractions); kept identical on purpose.
    private const string PortRelayScriptText =
        "exec 3<>\"/dev/tcp/127.0.0.1/$1\" || exit 1; exec 4<&0; cat <&4 >&3 & cat <&3; kill $! 2>/dev/null; exit 0";

    private static async Task<long> CountAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
        }

        return total;
    }
}
