using System.Globalization;
using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// A 50 MiB download through the session's proxy: from the agent over its unix-socket bridge (agent socat →
/// socket volume → proxy socat → squid) vs a client container on the same network straight to squid's TCP port
/// (the path before the agent lost its network). Everything stays on this machine: the benchmark creates a network,
/// a busybox httpd serving the file under one name (the only allow-list entry) and the session's proxy joins that
/// network as its way out. Both sides are a podman exec of the same curl, so exec overhead cancels out.
/// </summary>
public sealed class EgressDownloadBenchmark : IBenchmark
{
    private const int Bytes = 50 * 1024 * 1024;
    private const string Host = "download.paude.test";
    private const string BaseImage = "localhost/paude-base:ci";

    /// <inheritdoc />
    public string Id => "egress-download";

    /// <inheritdoc />
    public string Description => "50 MiB through the proxy: agent via unix-socket bridge vs a client on the proxy's TCP port";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("be");
        var world = $"paude-bench-{run}-world";
        var (services, backend) = BenchPodman.CreateBackend([world]);
        await using var _ = services;
        var session = SessionName.Parse($"{run}-dl");
        try
        {
            string[] label = ["--label", "app=paude-bench"];
            await BenchPodman.PodmanAsync(["network", "create", .. label, world]);
            await BenchPodman.PodmanAsync(["run", "-d", .. label, "--name", $"paude-bench-{run}-server", "--network", world, "--network-alias", Host, BaseImage,
                "sh", "-c", $"mkdir -p /www && head -c {Bytes} /dev/zero > /www/big && exec busybox httpd -f -p 80 -h /www"]);
            await BenchPodman.PodmanAsync(["run", "-d", .. label, "--name", $"paude-bench-{run}-client", "--network", world, BaseImage, "sleep", "infinity"]);
            await backend.CreateAsync(new SessionSpec { Name = session, AgentCommand = ["bash", "-c", "exec sleep infinity"], Egress = EgressPolicy.Parse([Host]) }, cancellationToken);
            var proxyAddress = (await BenchPodman.PodmanAsync("inspect", "--format", $"{{{{(index .NetworkSettings.Networks \"{world}\").IPAddress}}}}", $"paude-{session}.proxy")).Trim();

            var url = $"http://{Host}/big";
            string[] curl = ["curl", "-sS", "--fail", "--max-time", "120", "-o", "/dev/null", "-w", "%{size_download}", url];
            Task Socket(int i) => DownloadAsync(["exec", $"paude-{session}", .. curl]);
            Task Tcp(int i) => DownloadAsync(["exec", $"paude-bench-{run}-client", .. curl, "--proxy", $"http://{proxyAddress}:3128"]);

            // One warm-up of each side (squid's first DNS lookup of the host, page cache of the file).
            await Socket(-1);
            await Tcp(-1);
            var (socket, tcp) = await Measure.AlternateAsync(context.Iterations, Socket, Tcp);
            var socketMedian = Measure.Median(socket);
            var tcpMedian = Measure.Median(tcp);
            return new BenchmarkReport(
                Id,
                [("unix-socket bridge median ms", socketMedian), ("direct proxy TCP median ms", tcpMedian), ("socket min ms", socket.Min()), ("tcp min ms", tcp.Min()),
                 ("socket MiB/s (median)", Bytes / 1048576.0 / (socketMedian / 1000))],
                socketMedian / tcpMedian,
                1.10);
        }
        finally
        {
            if (await backend.GetAsync(session, CancellationToken.None) is not null)
            {
                await backend.DeleteAsync(session, CancellationToken.None);
            }

            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    /// <summary>One download; fails unless curl got every byte (a 403 or a short body is not a measurement).</summary>
    private static async Task DownloadAsync(string[] args)
    {
        var got = (await BenchPodman.PodmanAsync(args)).Trim();
        if (got != Bytes.ToString(CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"download got {got} bytes, expected {Bytes}");
        }
    }
}
