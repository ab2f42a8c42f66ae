using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// Session create→Claude Code's first screen (its prompt in tmux, read with capture-pane) through the SDK vs
/// <c>podman run --rm</c> of the same image running <c>claude --version</c> (the target's baseline), and, reported
/// beside it, a bare <c>podman run -d</c> of the image to the same first screen. The image is
/// <c>PAUDE_BENCH_AGENT_IMAGE</c>, else <c>localhost/paude-agent:latest</c>. No API is contacted: the first screen
/// needs none. Deletes run outside the timing.
/// </summary>
public sealed class ClaudeFirstScreenBenchmark : IBenchmark
{
    private static readonly EgressPolicy Policy = EgressPolicy.Parse(["allowed.paude.test"]);

    private static string Image => Environment.GetEnvironmentVariable("PAUDE_BENCH_AGENT_IMAGE") is { Length: > 0 } i ? i : "localhost/paude-agent:latest";

    /// <inheritdoc />
    public string Id => "claude-first-screen";

    /// <inheritdoc />
    public string Description => "SDK create→Claude Code's prompt in tmux vs podman run --rm <image> claude --version";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("bq");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        try
        {
            await SdkAsync(backend, run, -1, cancellationToken);
            await RawAsync(cancellationToken);
            await CleanupAsync(backend, run, -1);
            // Also, once per iteration between the two timed sides: the same image's own entrypoint run by a bare
            // `podman run -d` to the same first screen (no proxy, no volumes, no credentials): the floor that
            // Claude Code's interactive start sets, which `claude --version` skips.
            var interactive = new List<double>();
            var betweens = 0;
            var (sdk, raw) = await Measure.AlternateAsync(
                context.Iterations,
                i => SdkAsync(backend, run, i, cancellationToken),
                _ => RawAsync(cancellationToken),
                async i =>
                {
                    await CleanupAsync(backend, run, i);
                    if (betweens++ % 2 == 1)
                    {
                        interactive.Add(await RawInteractiveAsync(run, i, cancellationToken));
                    }
                });
            var sdkMedian = Measure.Median(sdk);
            var rawMedian = Measure.Median(raw);
            var interactiveMedian = Measure.Median(interactive);
            return new BenchmarkReport(
                Id,
                [
                    ("sdk create→first screen median ms", sdkMedian),
                    ("podman run claude --version median ms", rawMedian),
                    ("podman run -d → first screen median ms", interactiveMedian),
                    ("sdk / podman run → first screen", sdkMedian / interactiveMedian),
                    ("sdk min ms", sdk.Min()),
                    ("raw min ms", raw.Min()),
                ],
                sdkMedian / rawMedian,
                1.5);
        }
        finally
        {
            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    private static async Task SdkAsync(ISessionBackend backend, string run, int i, CancellationToken ct)
    {
        var name = SessionName.Parse($"{run}-s{i + 1}");
        await backend.CreateAsync(new SessionSpec { Name = name, AgentImage = Image, Agent = SessionAgent.Claude(), Egress = Policy }, ct);
        // One exec that watches the pane inside the container (every 50 ms), not a podman exec per look: each costs a
        // podman process start (0.3–2 s on this 2-core machine under load), which both coarsened the measurement and
        // took CPU from the very start it measured.
        await WaitFirstScreenAsync($"paude-{name.Value}", ct);
    }

    private static Task<string> WaitFirstScreenAsync(string container, CancellationToken ct) =>
        BenchPodman.RunAsync(
            "podman",
            ["exec", container, "timeout", "120", "bash", "-c", "until tmux capture-pane -p -t paude 2>/dev/null | grep -qF 'bypass permissions on'; do sleep 0.05; done"],
            ct: ct);

    /// <summary>The image's entrypoint to Claude Code's first screen with a bare podman run (no network); ms.</summary>
    private static async Task<double> RawInteractiveAsync(string run, int i, CancellationToken ct)
    {
        var container = $"{run}-raw{i + 1}";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await BenchPodman.RunAsync("podman", ["run", "-d", "--name", container, "--init", "--pull=never", "--network", "none", Image], ct: ct);
        await WaitFirstScreenAsync(container, ct);
        var ms = watch.Elapsed.TotalMilliseconds;
        await BenchPodman.RunAsync("podman", ["rm", "-f", "-t", "0", container], ct: ct);
        return ms;
    }

    private static async Task RawAsync(CancellationToken ct) =>
        await BenchPodman.RunAsync("podman", ["run", "--rm", "--pull=never", "--entrypoint", "claude", Image, "--version"], ct: ct);

    private static async Task CleanupAsync(ISessionBackend backend, string run, int i)
    {
        var name = SessionName.Parse($"{run}-s{i + 1}");
        if (await backend.GetAsync(name) is not null)
        {
            await backend.DeleteAsync(name);
        }
    }
}
