using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// First push of a 5,000-file / ~50 MB repository (one commit) into an empty session folder: Paude.Sync (to session,
/// default strategy: the commit and the working tree) vs the tar pipe of the whole folder including <c>.git</c>
/// (<c>tar -cf - . | podman exec -i c tar -xf -</c>), since the SDK sends the commits too. Every push goes into a
/// fresh folder and nothing is deleted until the end (ext4 here slows file creation after a large delete); the
/// manifest is removed between SDK pushes (outside the timing) so each one is a first push.
/// </summary>
public class SyncPushFirstBenchmark : IBenchmark
{
    /// <inheritdoc />
    public virtual string Id => "sync-push-first";

    /// <inheritdoc />
    public virtual string Description => "first push of 5,000 files / ~50 MB + its commit: Paude.Sync to session vs tar pipe of the folder with .git";

    /// <summary>Whether the repository's history is packed (<c>git repack -a -d</c>) before the pushes.</summary>
    protected virtual bool Packed => false;

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(context.WorkDirectory, Id); // per benchmark: the packed variant must not find the other's repository
        await SyncBench.CreateRepositoryAsync(tree, 5000, 50L * 1024 * 1024, cancellationToken);
        if (Packed)
        {
            await BenchPodman.RunAsync("git", ["-C", tree, "repack", "-a", "-d", "-q"], ct: cancellationToken);
            await BenchPodman.RunAsync("git", ["-C", tree, "prune-packed"], ct: cancellationToken);
        }

        await using var bench = await SyncBench.StartAsync(cancellationToken);
        var manifest = Path.Combine(tree, ".git", "paude", "sync-manifest.json");
        var head = (await BenchPodman.RunAsync("git", ["-C", tree, "rev-parse", "HEAD"], ct: cancellationToken)).Trim();

        // Warm-up of both paths (JIT, page cache of the source tree).
        await bench.PushAsync(tree, "/pvc/warm-sdk", cancellationToken);
        File.Delete(manifest);
        await TarPipeAsync(tree, bench.Container, "/pvc/warm-tar", cancellationToken);

        long bytes = 0;
        var (sdk, pipe) = await Measure.AlternateAsync(
            context.Iterations,
            async i =>
            {
                var result = await bench.PushAsync(tree, $"/pvc/sdk-{i}", cancellationToken);
                if (result.CommitsTransferred != 1)
                {
                    throw new InvalidOperationException($"expected the commit to be pushed, got {result.CommitsTransferred}");
                }

                bytes = result.BytesMoved;
                File.Delete(manifest);
            },
            i => TarPipeAsync(tree, bench.Container, $"/pvc/tar-{i}", cancellationToken),
            _ => BenchPodman.RunAsync("sync", [], ct: cancellationToken));

        // The session really has the commit, a clean status and every file.
        var check = await BenchPodman.PodmanAsync("exec", bench.Container, "bash", "-c",
            "cd /pvc/sdk-0 && git rev-parse HEAD && git status --porcelain | wc -l && git ls-files | wc -l && find . -path ./.git -prune -o -type f -print | wc -l");
        var lines = check.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines[0] != head || lines[1] != "0" || lines[2] != "5000" || lines[3] != "5000")
        {
            throw new InvalidOperationException($"the session repository is not what was pushed: {check}");
        }

        var sdkMedian = Measure.Median(sdk);
        var pipeMedian = Measure.Median(pipe);
        var treeBytes = Directory.EnumerateFiles(tree, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        SyncBench.PrintSeries(sdk, "pipe", pipe);
        return new BenchmarkReport(
            Id,
            [
                ("paude-sync first push median ms", sdkMedian), ("tar pipe (with .git) median ms", pipeMedian),
                ("folder incl. .git MiB", treeBytes / 1048576.0), ("paude bytes sent MiB", bytes / 1048576.0),
            ],
            sdkMedian / pipeMedian,
            1.2);
    }

    /// <summary>The baseline: GNU tar of the whole folder (with <c>.git</c>) piped into <c>podman exec -i</c>.</summary>
    private static Task<string> TarPipeAsync(string tree, string container, string destination, CancellationToken ct)
        => BenchPodman.RunAsync("bash", ["-c", "tar -C \"$1\" -cf - . | podman exec -i \"$2\" sh -c 'mkdir -p -- \"$1\" && exec tar -C \"$1\" -xf -' sh \"$3\"", "_", tree, container, destination], ct: ct);
}

/// <summary>
/// The same first push with the history in a pack (a cloned or garbage-collected repository): the SDK copies the
/// branch's stored entries into a pack of their own and writes its index; the tar pipe copies <c>.git</c> as it is.
/// </summary>
public sealed class SyncPushFirstPackedBenchmark : SyncPushFirstBenchmark
{
    /// <inheritdoc />
    public override string Id => "sync-push-first-packed";

    /// <inheritdoc />
    public override string Description => "first push of 5,000 files / ~50 MB with the history packed: Paude.Sync to session vs tar pipe of the folder with .git";

    /// <inheritdoc />
    protected override bool Packed => true;
}
