using System.Globalization;
using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Benchmarks.OpenShift;

/// <summary>
/// Upload of the 5,000-file / ~50 MB tree into a running session pod of the Kubernetes test server:
/// <c>UploadDirectoryAsync</c> (tar streamed over the exec WebSocket) vs the real <c>kubectl cp &lt;tree&gt;
/// ns/pod:dst -c paude</c> into the same pod. Alternating, a fresh destination each time, nothing deleted until
/// the end (ext4 here slows file creation for minutes after a large delete).
/// </summary>
public sealed class OpenShiftUploadBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Id => "openshift-upload";

    /// <inheritdoc />
    public string Description => "UploadDirectoryAsync of 5,000 files / ~50 MB into a test-server pod vs kubectl cp into the same pod";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var cluster = await BenchCluster.StartAsync("ou", cancellationToken);
        var tree = Path.Combine(context.WorkDirectory, $"{cluster.RunId}-tree");
        var bytes = TreeGenerator.Create(tree, seed: 5000);
        var name = SessionName.Parse($"{cluster.RunId}-up");
        var pod = $"paude-{name}-0";
        await cluster.Backend.CreateAsync(BenchCluster.Spec(name), cancellationToken);
        try
        {
            // Warm-up of both paths (JIT, connection, page cache of the source tree).
            await cluster.Backend.UploadDirectoryAsync(name, tree, "/pvc/workspace/warm-sdk", cancellationToken);
            await KubectlCopyAsync(cluster, tree, pod, "/pvc/workspace/warm-kcp", cancellationToken);

            var (sdk, kcp) = await Measure.AlternateAsync(
                context.Iterations,
                i => cluster.Backend.UploadDirectoryAsync(name, tree, $"/pvc/workspace/sdk-{i}", cancellationToken),
                i => KubectlCopyAsync(cluster, tree, pod, $"/pvc/workspace/kcp-{i}", cancellationToken),
                _ => BenchPodman.RunAsync("sync", [], ct: cancellationToken));

            // Both sides really copied the whole tree.
            var check = await cluster.Backend.ExecAsync(
                name, ["bash", "-c", "for d in sdk-0 kcp-0; do find /pvc/workspace/$d -type f | wc -l; done"], cancellationToken);
            var counts = check.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToArray();
            var sdkMedian = Measure.Median(sdk);
            var kcpMedian = Measure.Median(kcp);
            return new BenchmarkReport(
                Id,
                [
                    ("tree files", TreeGenerator.FileCount), ("tree MiB", bytes / 1048576.0),
                    ("files found after sdk upload", counts[0]), ("files found after kubectl cp", counts[1]),
                    ("sdk UploadDirectoryAsync median ms", sdkMedian), ("kubectl cp median ms", kcpMedian),
                    ("sdk min ms", sdk.Min()), ("kubectl cp min ms", kcp.Min()),
                    ("sdk max ms", sdk.Max()), ("kubectl cp max ms", kcp.Max()),
                ],
                sdkMedian / kcpMedian,
                1.0);
        }
        finally
        {
            await cluster.Backend.DeleteAsync(name, CancellationToken.None);
        }
    }

    /// <summary>The baseline: <c>kubectl cp</c> of the folder to a destination that does not exist yet (so it becomes that folder).</summary>
    private static Task<string> KubectlCopyAsync(BenchCluster cluster, string tree, string pod, string destination, CancellationToken ct)
        => cluster.KubectlAsync(ct, "cp", tree, $"{BenchCluster.Namespace}/{pod}:{destination}", "-c", BenchCluster.AgentContainer);
}
