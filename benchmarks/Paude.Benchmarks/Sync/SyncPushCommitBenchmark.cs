using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Push of one new local commit that changes one 20 KB file in a 5,000-file / ~50 MB repository: Paude.Sync (to
/// session, default strategy: one exec with a pack of the new objects, the ref update and the changed file) vs
/// <c>rsync -a --blocking-io -e 'podman exec -i'</c> of the whole folder including <c>.git</c> into its own folder of
/// the same container (what moving a commit with rsync takes). Each side is incremental against its own previous
/// state; the commit is made (git CLI) between measured runs. Also reports the bytes each sent into the container.
/// </summary>
public sealed class SyncPushCommitBenchmark : IBenchmark
{
    private const int ChangedBytes = 20 * 1024;
    private const string ChangedFile = "src/module07/part3/file0157.cs";

    /// <inheritdoc />
    public string Id => "sync-push-commit";

    /// <inheritdoc />
    public string Description => "push of 1 new commit changing 1 file (20 KB) of 5,000 / ~50 MB: Paude.Sync to session vs rsync -a of the tree incl. .git over podman exec -i";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(context.WorkDirectory, "push-commit");
        await SyncBench.CreateRepositoryAsync(tree, 5000, 50L * 1024 * 1024, cancellationToken);
        await using var bench = await SyncBench.StartAsync(cancellationToken);
        const string SdkDir = "/pvc/sdk";
        const string RsyncDir = "/pvc/rsync";

        await bench.PushAsync(tree, SdkDir, cancellationToken);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: true, cancellationToken);
        var random = new Random(11);
        var words = Enumerable.Range(0, 50).Select(i => $"w{i}").ToArray();

        // Each change gets a later whole-second mtime (rsync's quick check) and is committed.
        var stamp = TimeProvider.System.GetUtcNow().UtcDateTime;
        var commits = 0;
        async Task CommitChangeAsync()
        {
            var path = Path.Combine(tree, ChangedFile);
            await File.WriteAllTextAsync(path, SyncBench.Text(random, words, ChangedBytes), cancellationToken);
            stamp = stamp.AddSeconds(1);
            File.SetLastWriteTimeUtc(path, stamp);
            await BenchPodman.RunAsync("git", ["-C", tree, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-am", $"change {++commits}"], ct: cancellationToken);
        }

        // Warm-up: one commit pushed by both sides (JIT, caches).
        await CommitChangeAsync();
        await bench.PushAsync(tree, SdkDir, cancellationToken);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: true, cancellationToken);

        await CommitChangeAsync();
        var sdkBytes = new List<long>();
        var rsyncBytes = new List<long>();
        var sides = 0;
        var (sdk, rsync) = await Measure.AlternateAsync(
            context.Iterations,
            async _ =>
            {
                var result = await bench.PushAsync(tree, SdkDir, cancellationToken);
                if (result.CommitsTransferred != 1 || result.FilesChanged is not [ChangedFile])
                {
                    throw new InvalidOperationException($"expected 1 commit and {ChangedFile}, got {result.CommitsTransferred} commit(s), [{string.Join(", ", result.FilesChanged)}]");
                }

                sdkBytes.Add(result.BytesMoved);
            },
            async _ => rsyncBytes.Add(await bench.RsyncAsync(tree, RsyncDir, includeGit: true, cancellationToken)),
            async _ =>
            {
                if (++sides % 2 == 0)
                {
                    await CommitChangeAsync();
                }
            });

        // Both sides really hold the last commit and its file.
        await bench.PushAsync(tree, SdkDir, cancellationToken);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: true, cancellationToken);
        var head = (await BenchPodman.RunAsync("git", ["-C", tree, "rev-parse", "HEAD"], ct: cancellationToken)).Trim();
        foreach (var dir in new[] { SdkDir, RsyncDir })
        {
            var theirs = (await BenchPodman.PodmanAsync("exec", bench.Container, "git", "-C", dir, "rev-parse", "HEAD")).Trim();
            var status = (await BenchPodman.PodmanAsync("exec", bench.Container, "git", "-C", dir, "status", "--porcelain")).Trim();
            if (theirs != head || status.Length > 0)
            {
                throw new InvalidOperationException($"{dir} is at {theirs} (expected {head}), status '{status}'");
            }
        }

        var sdkMedian = Measure.Median(sdk);
        var rsyncMedian = Measure.Median(rsync);
        var bytes = Measure.Median(sdkBytes.Select(b => (double)b).ToList());
        SyncBench.PrintSeries(sdk, "rsync", rsync);
        return new BenchmarkReport(
            Id,
            [
                ("paude-sync push median ms", sdkMedian), ("rsync incl. .git median ms", rsyncMedian),
                ("changed bytes", ChangedBytes), ("paude bytes sent (median)", bytes),
                ("paude bytes / changed bytes", bytes / ChangedBytes),
                ("rsync total bytes sent (median)", Measure.Median(rsyncBytes.Select(b => (double)b).ToList())),
            ],
            sdkMedian / rsyncMedian,
            1.0);
    }
}
