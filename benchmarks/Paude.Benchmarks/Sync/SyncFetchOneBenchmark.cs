using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Sync;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Fetching 1 new session commit into a local repository that already holds the 200 before it (the common case while
/// an agent works): Paude.Sync (branch strategy through the session helper it keeps open between syncs,
/// <c>SyncOptions.UseSessionHelper</c>) vs plain <c>git fetch</c> over
/// <c>ext::podman exec -i &lt;c&gt; %S &lt;repo&gt;</c>, each into its own repository, a new commit before every pair.
/// Target (issue 16): at most 0.5× git's fetch.
/// </summary>
public sealed class SyncFetchOneBenchmark : IBenchmark
{
    private const string Repo = "/pvc/bench";

    /// <inheritdoc />
    public string Id => "sync-fetch-1";

    /// <inheritdoc />
    public string Description => "fetch 1 new session commit on top of 200 already fetched: Paude.Sync branch pull (helper kept open) vs git fetch over ext::podman exec";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var bench = await SyncBench.StartAsync(cancellationToken, "bench-fetch1-");
        var container = bench.Container;
        await bench.CreateSessionRepositoryAsync(Repo, 200, cancellationToken);
        var sdkRepo = Path.Combine(context.WorkDirectory, "fetch1-sdk");
        var gitRepo = Path.Combine(context.WorkDirectory, "fetch1-git");
        string[] fetch = ["-C", gitRepo, "-c", "protocol.ext.allow=always", "fetch", "-q", $"ext::podman exec -i {container} %S {Repo}", "+HEAD:refs/heads/x"];
        foreach (var dir in new[] { sdkRepo, gitRepo })
        {
            Directory.CreateDirectory(dir);
            await BenchPodman.RunAsync("git", ["init", "-q", dir], ct: cancellationToken);
        }

        // The 200 commits on both sides first (not measured), then one warm-up commit.
        await PullAsync(bench, sdkRepo, expected: null, cancellationToken);
        await BenchPodman.RunAsync("git", fetch, ct: cancellationToken);
        var commits = 200;
        async Task CommitAsync()
        {
            commits++;
            await BenchPodman.RunAsync("podman", ["exec", container, "bash", "-c",
                "set -e; cd \"$1\"; printf '%s\\n' \"$2\" > \"g$2.txt\"; git add -A; git -c user.name=a -c user.email=a@b commit -q -m \"c$2\"",
                "bash", Repo, commits.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct: cancellationToken);
        }

        await CommitAsync();
        await PullAsync(bench, sdkRepo, expected: 1, cancellationToken);
        await BenchPodman.RunAsync("git", fetch, ct: cancellationToken);
        await CommitAsync();
        var sides = 0;
        var (sdk, baseline) = await Measure.AlternateAsync(
            context.Iterations,
            async _ => await PullAsync(bench, sdkRepo, expected: 1, cancellationToken),
            async _ => await BenchPodman.RunAsync("git", fetch, ct: cancellationToken),
            async _ =>
            {
                // A new session commit once both sides have fetched the current one.
                if (++sides % 2 == 0)
                {
                    await CommitAsync();
                }
            });
        var ratio = Measure.Median(sdk) / Measure.Median(baseline);
        SyncBench.PrintSeries(sdk, "git", baseline);
        return new BenchmarkReport(Id, [("paude-sync median ms", Measure.Median(sdk)), ("git ext:: fetch median ms", Measure.Median(baseline))], ratio, 0.5);
    }

    private static async Task PullAsync(SyncBench bench, string repo, int? expected, CancellationToken cancellationToken)
    {
        var result = await bench.PullAsync(repo, Repo, cancellationToken);
        if (expected is { } n && result.CommitsTransferred != n)
        {
            throw new InvalidOperationException($"expected {n} commit(s), got {result.CommitsTransferred}");
        }
    }
}
