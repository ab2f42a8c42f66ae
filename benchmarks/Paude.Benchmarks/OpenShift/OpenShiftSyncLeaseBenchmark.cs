using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift;
using Paude.Benchmarks.Harness;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Benchmarks.OpenShift;

/// <summary>
/// What the session's sync Lease costs a small incremental sync on the test server: one file of 50 changed, pushed
/// (exclude strategy) by the openshift backend with the Lease (default 30 s: create on take, delete on release) vs
/// the same backend with <see cref="OpenShiftBackendOptions.SyncLeaseDuration"/> <c>null</c>, alternately into the
/// same session pod (each side its own local folder and session folder).
/// </summary>
public sealed class OpenShiftSyncLeaseBenchmark : IBenchmark
{
    private const int Files = 50;

    private static readonly string[] Backends = ["lease", "nolease"];

    /// <inheritdoc />
    public string Id => "openshift-sync-lease";

    /// <inheritdoc />
    public string Description => "incremental sync (1 of 50 files changed) with the session's sync Lease vs the Lease turned off";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var cluster = await BenchCluster.StartAsync("ol", cancellationToken);
        var services = new ServiceCollection();
        var paude = services.AddPaude();
        foreach (var (backend, lease) in new[] { ("lease", (TimeSpan?)TimeSpan.FromSeconds(30)), ("nolease", null) })
        {
            paude.AddOpenShiftBackend(backend, o =>
            {
                o.KubeconfigPath = cluster.Server.KubeconfigPath;
                o.Namespace = BenchCluster.Namespace;
                o.SyncLeaseDuration = lease;
            });
        }

        paude.AddPaudeSync();
        await using var provider = services.BuildServiceProvider();
        var sync = provider.GetRequiredService<ISessionSync>();
        var name = SessionName.Parse($"{cluster.RunId}-sync");
        await cluster.Backend.CreateAsync(BenchCluster.Spec(name), cancellationToken);
        try
        {
            var sides = Backends.ToDictionary(b => b, b => Folder(context, cluster, b));
            async Task PushAsync(string backend, int i)
            {
                File.WriteAllText(Path.Combine(sides[backend], $"f{i % Files}.txt"), $"changed {i}");
                var options = new SyncOptions { Backend = backend, Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = $"/pvc/workspace/{backend}" };
                var result = await sync.SyncAsync(name, sides[backend], options, cancellationToken: cancellationToken);
                if (result.FilesChanged.Count != 1)
                {
                    throw new InvalidOperationException($"{backend}: expected one file pushed, got {result.FilesChanged.Count}");
                }
            }

            // First pushes (all files) and warm-up of both paths.
            foreach (var backend in sides.Keys)
            {
                var options = new SyncOptions { Backend = backend, Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = $"/pvc/workspace/{backend}" };
                await sync.SyncAsync(name, sides[backend], options, cancellationToken: cancellationToken);
                await PushAsync(backend, 1000);
            }

            var (withLease, without) = await Measure.AlternateAsync(context.Iterations, i => PushAsync("lease", i), i => PushAsync("nolease", i));
            // The Lease alone: take and release (create, delete) as a sync does, nothing else.
            var exclusion = (ISessionSyncExclusion)provider.GetRequiredService<ISessionBackendProvider>().GetBackend("lease");
            var alone = new List<double>();
            for (var i = 0; i < context.Iterations; i++)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                await (await exclusion.HoldForSyncAsync(name, TimeSpan.Zero, cancellationToken)).DisposeAsync();
                alone.Add(watch.Elapsed.TotalMilliseconds);
            }

            var leaseMedian = Measure.Median(withLease);
            var plainMedian = Measure.Median(without);
            return new BenchmarkReport(
                Id,
                [
                    ("files", Files),
                    ("with Lease median ms", leaseMedian), ("without Lease median ms", plainMedian),
                    ("with Lease min ms", withLease.Min()), ("without Lease min ms", without.Min()),
                    ("with Lease max ms", withLease.Max()), ("without Lease max ms", without.Max()),
                    ("Lease take + release alone median ms", Measure.Median(alone)),
                ],
                leaseMedian / plainMedian,
                null);
        }
        finally
        {
            await cluster.Backend.DeleteAsync(name, CancellationToken.None);
        }
    }

    private static string Folder(BenchmarkContext context, BenchCluster cluster, string side)
    {
        var folder = Path.Combine(context.WorkDirectory, $"{cluster.RunId}-{side}");
        Directory.CreateDirectory(folder);
        for (var i = 0; i < Files; i++)
        {
            File.WriteAllText(Path.Combine(folder, $"f{i}.txt"), $"file {i}");
        }

        return folder;
    }
}
