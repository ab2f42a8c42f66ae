using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Benchmarks.Cli;

/// <summary>
/// The SDK's <c>ExecAsync</c> of <c>true</c> (one backend, warm, in this process) vs the process
/// <c>podman exec c true</c> started from this process: the SDK's own overhead per call.
/// </summary>
public sealed class SdkExecBenchmark : IBenchmark
{
    private static readonly string[] AgentCommand = ["bash", "-c", "exec sleep infinity"];

    /// <inheritdoc />
    public string Id => "sdk-exec";

    /// <inheritdoc />
    public string Description => "SDK ExecAsync(s, [\"true\"]) vs `podman exec c true`";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("be");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        try
        {
            var session = SessionName.Parse($"{run}-s");
            await backend.CreateAsync(new SessionSpec { Name = session, AgentCommand = AgentCommand }, cancellationToken);
            string[] podman = ["exec", $"paude-{session.Value}", "true"];
            await SdkAsync(backend, session, cancellationToken);
            await BenchPodman.RunAsync("podman", podman, ct: cancellationToken);
            var (sdk, raw) = await Measure.AlternateAsync(
                context.Iterations,
                _ => SdkAsync(backend, session, cancellationToken),
                _ => BenchPodman.RunAsync("podman", podman, ct: cancellationToken));
            var sdkMedian = Measure.Median(sdk);
            var rawMedian = Measure.Median(raw);
            return new BenchmarkReport(
                Id,
                [("sdk ExecAsync true median ms", sdkMedian), ("podman exec true median ms", rawMedian), ("sdk min ms", sdk.Min()), ("podman min ms", raw.Min())],
                sdkMedian / rawMedian,
                1.2);
        }
        finally
        {
            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    private static async Task SdkAsync(ISessionBackend backend, SessionName session, CancellationToken ct)
    {
        var result = await backend.ExecAsync(session, ["true"], ct);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"exec true exited {result.ExitCode}");
        }
    }
}
