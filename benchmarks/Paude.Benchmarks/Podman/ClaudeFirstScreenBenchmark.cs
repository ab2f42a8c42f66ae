using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// Session create→Claude Code's first screen (its prompt in tmux, read with capture-pane) through the SDK vs
/// <c>podman run --rm</c> of the same image running <c>claude --version</c>. The image is
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
            var (sdk, raw) = await Measure.AlternateAsync(
                context.Iterations,
                i => SdkAsync(backend, run, i, cancellationToken),
                _ => RawAsync(cancellationToken),
                i => CleanupAsync(backend, run, i));
            var sdkMedian = Measure.Median(sdk);
            var rawMedian = Measure.Median(raw);
            return new BenchmarkReport(
                Id,
                [("sdk create→first screen median ms", sdkMedian), ("podman run claude --version median ms", rawMedian), ("sdk min ms", sdk.Min()), ("raw min ms", raw.Min())],
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
        while (true)
        {
            string pane;
            try
            {
                pane = await BenchPodman.PodmanAsync("exec", $"paude-{name.Value}", "tmux", "capture-pane", "-p", "-t", "paude");
            }
            catch (InvalidOperationException)
            {
                pane = string.Empty;
            }

            if (pane.Contains("bypass permissions on", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(50, ct);
        }
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
