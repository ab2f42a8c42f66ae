using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Incremental push after changing one 20 KB file in a 5,000-file / ~50 MB repository (one commit): Paude.Sync
/// (to session, default strategy, through the session helper it keeps open between syncs) vs <c>rsync -a --blocking-io -e 'podman exec -i'</c> of the working files into
/// its own folder of the same container. Each side is incremental against its own previous state. Also reports
/// the bytes each sent into the container: Paude's stdin bytes (<c>SyncResult.BytesMoved</c>) and rsync's
/// "Total bytes sent" (<c>--stats</c>).
/// </summary>
public sealed class SyncPushIncrementalBenchmark : IBenchmark
{
    private const int ChangedBytes = 20 * 1024;
    private const string ChangedFile = "src/module07/part3/file0157.cs";

    /// <inheritdoc />
    public string Id => "sync-push-incremental";

    /// <inheritdoc />
    public string Description => "push after changing 1 file (20 KB) of 5,000 / ~50 MB: Paude.Sync to session (helper kept open) vs rsync -a over podman exec -i";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var tree = Path.Combine(context.WorkDirectory, "push-incremental");
        await SyncBench.CreateRepositoryAsync(tree, 5000, 50L * 1024 * 1024, cancellationToken);
        await using var bench = await SyncBench.StartAsync(cancellationToken);
        const string SdkDir = "/pvc/sdk";
        const string RsyncDir = "/pvc/rsync";

        // The first push of each side (not measured), then one warm-up change so both paths are JIT-ed and cached.
        await bench.PushAsync(tree, SdkDir, cancellationToken, useHelper: true);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: false, cancellationToken);
        var random = new Random(7);
        var words = Enumerable.Range(0, 50).Select(i => $"w{i}").ToArray();
        // Every change gets a later mtime, one second apart: rsync's quick check compares size and whole-second
        // mtimes, so a same-size change within the second of the previous one would not be sent (it made the
        // baseline skip work on a fast machine and the final check fail).
        var stamp = TimeProvider.System.GetUtcNow().UtcDateTime;
        void Change()
        {
            var path = Path.Combine(tree, ChangedFile);
            File.WriteAllText(path, SyncBench.Text(random, words, ChangedBytes));
            stamp = stamp.AddSeconds(1);
            File.SetLastWriteTimeUtc(path, stamp);
        }

        Change();
        await bench.PushAsync(tree, SdkDir, cancellationToken, useHelper: true);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: false, cancellationToken);

        Change();
        var sdkBytes = new List<long>();
        var rsyncBytes = new List<long>();
        var sides = 0;
        var (sdk, rsync) = await Measure.AlternateAsync(
            context.Iterations,
            async _ =>
            {
                var result = await bench.PushAsync(tree, SdkDir, cancellationToken, useHelper: true);
                if (result.FilesChanged is not [ChangedFile] || result.CommitsTransferred != 0)
                {
                    throw new InvalidOperationException($"expected exactly {ChangedFile} to be pushed, got [{string.Join(", ", result.FilesChanged)}]");
                }

                sdkBytes.Add(result.BytesMoved);
            },
            async _ => rsyncBytes.Add(await bench.RsyncAsync(tree, RsyncDir, includeGit: false, cancellationToken)),
            async _ =>
            {
                // A new change once both sides have pushed the current one (rsync compares size and mtime).
                if (++sides % 2 == 0)
                {
                    Change();
                }
            });

        // Both sides really hold the last change.
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(tree, ChangedFile))));
        await bench.PushAsync(tree, SdkDir, cancellationToken, useHelper: true);
        await bench.RsyncAsync(tree, RsyncDir, includeGit: false, cancellationToken);
        if (await bench.SessionHashAsync($"{SdkDir}/{ChangedFile}") != expected || await bench.SessionHashAsync($"{RsyncDir}/{ChangedFile}") != expected)
        {
            throw new InvalidOperationException("the changed file did not arrive on both sides");
        }

        var sdkMedian = Measure.Median(sdk);
        var rsyncMedian = Measure.Median(rsync);
        var bytes = Measure.Median(sdkBytes.Select(b => (double)b).ToList());
        SyncBench.PrintSeries(sdk, "rsync", rsync);
        return new BenchmarkReport(
            Id,
            [
                ("paude-sync push median ms", sdkMedian), ("rsync median ms", rsyncMedian),
                ("changed bytes", ChangedBytes), ("paude bytes sent (median)", bytes),
                ("paude bytes / changed bytes", bytes / ChangedBytes), ("metadata bytes (sent - changed)", bytes - ChangedBytes),
                ("rsync total bytes sent (median)", Measure.Median(rsyncBytes.Select(b => (double)b).ToList())),
            ],
            sdkMedian / rsyncMedian,
            0.5); // issue 16: an incremental push costs at most half of rsync's
    }
}
