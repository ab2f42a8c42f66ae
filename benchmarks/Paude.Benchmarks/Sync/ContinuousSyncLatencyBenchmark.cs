using System.Threading.Channels;
using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Edit one file in a 1,000-file workspace until it is in the session: a running continuous sync (default options,
/// so the 500 ms quiet period is included) vs running <c>rsync -a --blocking-io -e 'podman exec -i'</c> by hand right
/// after the edit. Informative (no target): the watch waits for quiet on purpose.
/// </summary>
public sealed class ContinuousSyncLatencyBenchmark : IBenchmark
{
    private const int Files = 1000;

    /// <inheritdoc />
    public string Id => "sync-watch-latency";

    /// <inheritdoc />
    public string Description => "edit 1 of 1,000 files until it is in the session: continuous sync (500 ms quiet) vs rsync run right after the edit";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var watched = Fill(Path.Combine(context.WorkDirectory, "watched"));
        var manual = Fill(Path.Combine(context.WorkDirectory, "manual"));
        await using var bench = await SyncBench.StartAsync(cancellationToken, "bench-watch-");
        var (continuous, session, container) = (bench.Continuous, bench.Session, bench.Container);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await BenchPodman.RunAsync("podman", ["exec", container, "mkdir", "-p", "/pvc/watch", "/pvc/rsync"], ct: cancellationToken);
            var rsync = new[] { "-a", "--blocking-io", "-e", "podman exec -i", manual + "/", container + ":/pvc/rsync/" };
            await BenchPodman.RunAsync("rsync", rsync, ct: cancellationToken);
            var rounds = Channel.CreateUnbounded<ContinuousSyncRound>();
            var pump = Task.Run(async () =>
            {
                await foreach (var round in continuous.WatchToSessionAsync(session, watched, new ContinuousSyncOptions { SessionWorkspace = "/pvc/watch" }, stop.Token))
                {
                    await rounds.Writer.WriteAsync(round, CancellationToken.None);
                }
            }, CancellationToken.None);
            _ = await rounds.Reader.ReadAsync(cancellationToken);
            var durations = new List<double>();

            var (sdk, baseline) = await Measure.AlternateAsync(
                context.Iterations,
                async i =>
                {
                    var path = $"d{i % 10}/f{i}.txt";
                    await File.WriteAllTextAsync(Path.Combine(watched, path), $"edit {i}\n", cancellationToken);
                    while (true)
                    {
                        var round = await rounds.Reader.ReadAsync(cancellationToken);
                        if (round.Error is { } error)
                        {
                            throw new InvalidOperationException("a round failed", error);
                        }

                        if (round.Result!.FilesChanged.Contains(path))
                        {
                            durations.Add(round.Duration.TotalMilliseconds);
                            break;
                        }
                    }
                },
                async i =>
                {
                    await File.WriteAllTextAsync(Path.Combine(manual, $"d{i % 10}/f{i}.txt"), $"edit {i}\n", cancellationToken);
                    await BenchPodman.RunAsync("rsync", rsync, ct: cancellationToken);
                });
            await stop.CancelAsync();
            await pump;
            var ratio = Measure.Median(sdk) / Measure.Median(baseline);
            return new BenchmarkReport(Id,
            [
                ("continuous edit-to-session median ms", Measure.Median(sdk)),
                ("continuous round (push only) median ms", Measure.Median(durations)),
                ("rsync after the edit median ms", Measure.Median(baseline)),
            ], ratio, null);
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private static string Fill(string root)
    {
        for (var i = 0; i < Files; i++)
        {
            var file = Path.Combine(root, $"d{i % 10}", $"f{i}.txt");
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllText(file, new string((char)('a' + (i % 26)), 4096));
        }

        return root;
    }
}
