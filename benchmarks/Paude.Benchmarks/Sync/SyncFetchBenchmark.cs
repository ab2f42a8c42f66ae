using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Sync;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Fetching 200 session commits into an empty local repository: Paude.Sync (branch strategy through the session helper
/// it keeps open between syncs, <c>SyncOptions.UseSessionHelper</c>) vs plain <c>git fetch</c> over <c>ext::podman exec -i &lt;c&gt; %S &lt;repo&gt;</c> (the Python tool).
/// </summary>
public sealed class SyncFetchBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Id => "sync-fetch-200";

    /// <inheritdoc />
    public string Description => "fetch 200 session commits: Paude.Sync branch pull (helper kept open) vs git fetch over ext::podman exec";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var bench = await SyncBench.StartAsync(cancellationToken, "bench-sync-");
        const string Repo = "/pvc/bench";
        await bench.CreateSessionRepositoryAsync(Repo, 200, cancellationToken);
        var n = 0;
        string NewRepo()
        {
            var dir = Path.Combine(context.WorkDirectory, $"fetch-{n++}");
            Directory.CreateDirectory(dir);
            BenchPodman.RunAsync("git", ["init", "-q", dir], ct: cancellationToken).GetAwaiter().GetResult();
            return dir;
        }

        var (sdk, baseline) = await Measure.AlternateAsync(
            context.Iterations,
            async _ =>
            {
                var result = await bench.PullAsync(NewRepo(), Repo, cancellationToken);
                if (result.CommitsTransferred != 200)
                {
                    throw new InvalidOperationException($"expected 200 commits, got {result.CommitsTransferred}");
                }
            },
            async _ => await BenchPodman.RunAsync("git", ["-C", NewRepo(), "-c", "protocol.ext.allow=always", "fetch", "-q", $"ext::podman exec -i {bench.Container} %S {Repo}", "+HEAD:refs/heads/x"], ct: cancellationToken));
        var ratio = Measure.Median(sdk) / Measure.Median(baseline);
        return new BenchmarkReport(Id, [("paude-sync median ms", Measure.Median(sdk)), ("git ext:: fetch median ms", Measure.Median(baseline))], ratio, 0.8); // issue 16: 200 commits at most 0.8x git's own fetch
    }
}
