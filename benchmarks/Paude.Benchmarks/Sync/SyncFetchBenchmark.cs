using Microsoft.Extensions.DependencyInjection;
using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Fetching 200 session commits into an empty local repository: Paude.Sync (branch strategy over the exec
/// subtransport) vs plain <c>git fetch</c> over <c>ext::podman exec -i &lt;c&gt; %S &lt;repo&gt;</c> (the Python tool).
/// </summary>
public sealed class SyncFetchBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Id => "sync-fetch-200";

    /// <inheritdoc />
    public string Description => "fetch 200 session commits: Paude.Sync branch pull vs git fetch over ext::podman exec";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("podman", o => o.ExtraLabels["paude.benchmark"] = "sync").AddPaudeSync();
        await using var provider = services.BuildServiceProvider();
        var backend = provider.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        var sync = provider.GetRequiredService<ISessionSync>();
        var session = SessionName.Parse("bench-sync-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)));
        await backend.CreateAsync(new SessionSpec { Name = session, AgentCommand = ["sleep", "infinity"] }, cancellationToken);
        try
        {
            const string Repo = "/pvc/bench";
            await BenchPodman.RunAsync("podman", ["exec", "paude-" + session.Value, "bash", "-c",
                "set -e; git init -q -b main \"$1\"; cd \"$1\"; for i in $(seq 1 200); do printf '%s\\n' \"$i\" > \"f$((i % 20)).txt\"; git add -A; git -c user.name=a -c user.email=a@b commit -q -m \"c$i\"; done",
                "bash", Repo], ct: cancellationToken);
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
                    var result = await sync.SyncAsync(session, NewRepo(), new SyncOptions { SessionWorkspace = Repo }, null, cancellationToken);
                    if (result.CommitsTransferred != 200)
                    {
                        throw new InvalidOperationException($"expected 200 commits, got {result.CommitsTransferred}");
                    }
                },
                async _ => await BenchPodman.RunAsync("git", ["-C", NewRepo(), "-c", "protocol.ext.allow=always", "fetch", "-q", $"ext::podman exec -i paude-{session.Value} %S {Repo}", "+HEAD:refs/heads/x"], ct: cancellationToken));
            var ratio = Measure.Median(sdk) / Measure.Median(baseline);
            return new BenchmarkReport(Id, [("paude-sync median ms", Measure.Median(sdk)), ("git ext:: fetch median ms", Measure.Median(baseline))], ratio, 0.8); // issue 16: 200 commits at most 0.8x git's own fetch
        }
        finally
        {
            await backend.DeleteAsync(session, CancellationToken.None);
        }
    }
}
