using System.Diagnostics;
using System.Globalization;
using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Benchmarks.OpenShift;

/// <summary>
/// 50 MiB over HTTP from busybox httpd in a session pod of the Kubernetes test server: through the openshift
/// backend's <c>ForwardPortAsync</c> (port-forward API, WebSocket <c>v4.channel.k8s.io</c>) vs the real
/// <c>kubectl port-forward</c> (SPDY/3.1 tunnelled in a WebSocket) to the same pod and port, one HttpClient GET per
/// iteration on each, alternating (target ≤ 1.5). Both end in the same pod-side relay, so the ratio is the
/// client and wire protocol.
/// </summary>
public sealed class OpenShiftPortForwardBenchmark : IBenchmark
{
    private const int Port = 18080;
    private const int Mebibytes = 50;

    /// <inheritdoc />
    public string Id => "openshift-port-forward";

    /// <inheritdoc />
    public string Description => $"{Mebibytes} MiB over HTTP through ForwardPortAsync (openshift) vs kubectl port-forward to the same test-server pod";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var cluster = await BenchCluster.StartAsync("op", cancellationToken);
        var name = SessionName.Parse($"{cluster.RunId}-pf");
        await cluster.Backend.CreateAsync(BenchCluster.Spec(name), cancellationToken);
        Process? kubectl = null;
        try
        {
            await cluster.Backend.ExecAsync(name, ["sh", "-c", $"mkdir -p /tmp/www && head -c {Mebibytes}M /dev/urandom > /tmp/www/big"], cancellationToken);
            await using var server = await cluster.Backend.StartProcessAsync(name, new ProcessSpec(["busybox", "httpd", "-f", "-p", $"127.0.0.1:{Port}", "-h", "/tmp/www"]), cancellationToken);
            await using var forward = await cluster.Backend.ForwardPortAsync(name, new PortForwardSpec(0, Port), cancellationToken);
            (kubectl, var kubectlPort) = await StartKubectlAsync(cluster, $"paude-{name}-0", cancellationToken);

            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(5) };
            var sdkUri = new Uri($"http://127.0.0.1:{forward.LocalEndPoint.Port}/big");
            var kubectlUri = new Uri($"http://127.0.0.1:{kubectlPort}/big");
            long sdkBytes = await GetAsync(http, sdkUri, cancellationToken), kubectlBytes = await GetAsync(http, kubectlUri, cancellationToken);
            var (sdk, baseline) = await Measure.AlternateAsync(
                context.Iterations,
                async _ => sdkBytes = await GetAsync(http, sdkUri, cancellationToken),
                async _ => kubectlBytes = await GetAsync(http, kubectlUri, cancellationToken));
            var sdkMedian = Measure.Median(sdk);
            var kubectlMedian = Measure.Median(baseline);
            return new BenchmarkReport(
                Id,
                [
                    ("payload MiB", Mebibytes), ("sdk body bytes", sdkBytes), ("kubectl body bytes", kubectlBytes),
                    ("sdk ForwardPortAsync median ms", sdkMedian), ("kubectl port-forward median ms", kubectlMedian),
                    ("sdk MiB/s", Mebibytes / (sdkMedian / 1000)), ("kubectl MiB/s", Mebibytes / (kubectlMedian / 1000)),
                    ("sdk min ms", sdk.Min()), ("kubectl min ms", baseline.Min()),
                ],
                sdkMedian / kubectlMedian,
                1.5);
        }
        finally
        {
            if (kubectl is not null)
            {
                kubectl.Kill(entireProcessTree: true);
                await kubectl.WaitForExitAsync(CancellationToken.None);
                kubectl.Dispose();
            }

            await cluster.Backend.DeleteAsync(name, CancellationToken.None);
        }
    }

    /// <summary><c>kubectl port-forward pod/P :18080</c>, and the local port it prints ("Forwarding from 127.0.0.1:N -> 18080").</summary>
    private static async Task<(Process Process, int LocalPort)> StartKubectlAsync(BenchCluster cluster, string pod, CancellationToken ct)
    {
        var info = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--kubeconfig", cluster.Server.KubeconfigPath, "-n", BenchCluster.Namespace, "port-forward", $"pod/{pod}", $":{Port}"])
        {
            info.ArgumentList.Add(a);
        }

        var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync(ct);
        const string Prefix = "Forwarding from 127.0.0.1:";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(Prefix, StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync(ct);
                return (process, int.Parse(line[Prefix.Length..line.IndexOf(' ', Prefix.Length)], CultureInfo.InvariantCulture));
            }
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("kubectl port-forward ended before it forwarded");
    }

    private static async Task<long> GetAsync(HttpClient http, Uri uri, CancellationToken ct)
    {
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[256 * 1024];
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            total += n;
        }

        return total;
    }
}
