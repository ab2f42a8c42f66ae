using System.Diagnostics;
using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// Upload of a 5,000-file / ~50 MB tree (257 folders, 5 binaries of 1–5 MiB, the rest 1–20 KiB) into a running
/// session: <c>UploadDirectoryAsync</c> vs <c>tar -cf - . | podman exec -i c tar -xf -</c> (the practical limit)
/// and vs <c>podman cp</c>. Every upload goes into a fresh folder and nothing is deleted until the end, because
/// ext4 here slows file creation for minutes after a large delete. Also reports the growth of the process's
/// working set during SDK uploads (flat = streaming).
/// </summary>
public sealed class PodmanUploadBenchmark : IBenchmark
{
    /// <inheritdoc />
    public string Id => "podman-upload";

    /// <inheritdoc />
    public string Description => "UploadDirectoryAsync of 5,000 files / ~50 MB vs tar pipe over podman exec -i, and vs podman cp";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("bu");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        var tree = Path.Combine(context.WorkDirectory, $"{run}-tree");
        var bytes = TreeGenerator.Create(tree, seed: 5000);
        var name = SessionName.Parse($"{run}-up");
        var container = $"paude-{name}";
        try
        {
            await backend.CreateAsync(new SessionSpec { Name = name, AgentCommand = ["bash", "-c", "exec sleep infinity"], Egress = EgressPolicy.Parse(["allowed.paude.test"]) }, cancellationToken);

            // Warm-up of both paths (JIT, page cache of the source tree).
            await backend.UploadDirectoryAsync(name, tree, "/pvc/workspace/warm-sdk", cancellationToken);
            await TarPipeAsync(tree, container, "/pvc/workspace/warm-tar", cancellationToken);

            // ext4 here slows file creation for minutes after a large delete (environment.md): time a probe before
            // and after, so a run measured in that state shows it.
            var probeBefore = await CreateProbeAsync(container, "probe-before", cancellationToken);
            using var sampler = new WorkingSetSampler();
            var (sdk, pipe) = await Measure.AlternateAsync(
                context.Iterations,
                async i =>
                {
                    sampler.Active = true;
                    await backend.UploadDirectoryAsync(name, tree, $"/pvc/workspace/sdk-{i}", cancellationToken);
                    sampler.Active = false;
                },
                i => TarPipeAsync(tree, container, $"/pvc/workspace/tar-{i}", cancellationToken),
                _ => BenchPodman.RunAsync("sync", [], ct: cancellationToken));

            var cp = new List<double>();
            for (var i = 0; i < Math.Max(3, context.Iterations / 2); i++)
            {
                await BenchPodman.RunAsync("sync", [], ct: cancellationToken);
                var watch = Stopwatch.StartNew();
                await BenchPodman.PodmanAsync("cp", tree + "/.", $"{container}:/pvc/workspace/cp-{i}");
                cp.Add(watch.Elapsed.TotalMilliseconds);
            }

            var probeAfter = await CreateProbeAsync(container, "probe-after", cancellationToken);
            var check = await backend.ExecAsync(name, ["bash", "-c", "find /pvc/workspace/sdk-0 -type f | wc -l; du -sb /pvc/workspace/sdk-0 | cut -f1"], cancellationToken);
            var sdkMedian = Measure.Median(sdk);
            var pipeMedian = Measure.Median(pipe);
            var lines = check.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return new BenchmarkReport(
                Id,
                [
                    ("tree files", TreeGenerator.FileCount), ("tree MiB", bytes / 1048576.0),
                    ("files found after sdk upload", double.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture)),
                    ("sdk UploadDirectoryAsync median ms", sdkMedian), ("tar | podman exec -i tar median ms", pipeMedian),
                    ("sdk min ms", sdk.Min()), ("sdk max ms", sdk.Max()), ("tar pipe min ms", pipe.Min()), ("tar pipe max ms", pipe.Max()),
                    ("podman cp median ms", Measure.Median(cp)), ("sdk / podman cp", sdkMedian / Measure.Median(cp)),
                    ("probe: 2,000 empty files before ms", probeBefore), ("probe: 2,000 empty files after ms", probeAfter),
                    ("working set at start MiB", sampler.Baseline / 1048576.0), ("working set growth during sdk uploads MiB", (sampler.Max - sampler.Baseline) / 1048576.0),
                ],
                sdkMedian / pipeMedian,
                1.2);
        }
        finally
        {
            await backend.DeleteAsync(name, CancellationToken.None);
            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    /// <summary>Times the creation of 2,000 empty files in a fresh folder of the workspace volume (normal here: ~0.1 s).</summary>
    private static async Task<double> CreateProbeAsync(string container, string folder, CancellationToken ct)
    {
        await BenchPodman.RunAsync("sync", [], ct: ct);
        var watch = Stopwatch.StartNew();
        await BenchPodman.PodmanAsync("exec", container, "sh", "-c", "mkdir -p -- \"$1\" && cd \"$1\" && seq 2000 | xargs touch", "sh", "/pvc/workspace/" + folder);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The baseline: GNU tar piped into <c>podman exec -i</c>, as a shell pipeline with positional arguments.</summary>
    private static Task<string> TarPipeAsync(string tree, string container, string destination, CancellationToken ct)
        => BenchPodman.RunAsync("bash", ["-c", "tar -C \"$1\" -cf - . | podman exec -i \"$2\" sh -c 'mkdir -p -- \"$1\" && exec tar -C \"$1\" -xf -' sh \"$3\"", "_", tree, container, destination], ct: ct);

    /// <summary>Samples the process working set every 20 ms while <see cref="Active"/> (rarely enough not to tax the side it watches).</summary>
    private sealed class WorkingSetSampler : IDisposable
    {
        private readonly Timer _timer;

        public WorkingSetSampler()
        {
            GC.Collect();
            Baseline = Environment.WorkingSet;
            Max = Baseline;
            _timer = new Timer(_ => Sample(), null, 0, 20);
        }

        public volatile bool Active;

        public long Baseline { get; }

        public long Max { get; private set; }

        private void Sample()
        {
            if (Active)
            {
                var ws = Environment.WorkingSet;
                if (ws > Max)
                {
                    Max = ws;
                }
            }
        }

        public void Dispose() => _timer.Dispose();
    }
}

/// <summary>The environment.md benchmark tree: 5,000 files in 257 folders, 5 binaries of 1–5 MiB, the rest 1–20 KiB text.</summary>
internal static class TreeGenerator
{
    public const int FileCount = 5000;

    public static long Create(string root, int seed)
    {
        var random = new Random(seed);
        var dirs = new List<string> { root };
        Directory.CreateDirectory(root);
        for (var d = 1; d < 257; d++)
        {
            var parent = dirs[random.Next(Math.Min(dirs.Count, 40))];
            var dir = Path.Combine(parent, $"dir{d:D3}");
            Directory.CreateDirectory(dir);
            dirs.Add(dir);
        }

        long total = 0;
        for (var f = 0; f < FileCount; f++)
        {
            var dir = dirs[f % dirs.Count];
            byte[] content;
            if (f < 5)
            {
                content = new byte[(f + 1) * 1024 * 1024];
                random.NextBytes(content);
                File.WriteAllBytes(Path.Combine(dir, $"blob{f}.bin"), content);
            }
            else
            {
                // Skewed towards small files (mean ≈ 7 KiB) so the tree is ≈ 49 MiB like the reference tree.
                var size = 1024 + (int)(Math.Pow(random.NextDouble(), 2) * 19 * 1024);
                content = new byte[size];
                for (var i = 0; i < size; i++)
                {
                    content[i] = (byte)('a' + random.Next(26));
                }

                File.WriteAllBytes(Path.Combine(dir, $"file{f:D4}.txt"), content);
            }

            total += content.Length;
        }

        return total;
    }
}
