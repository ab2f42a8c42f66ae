using Paude.Benchmarks.Harness;
using Paude.Benchmarks.Podman;
using Paude.Sessions;

namespace Paude.Benchmarks.Cli;

/// <summary>
/// A whole <c>paude</c> process (the NativeAOT binary a user gets, or <c>dotnet paude.dll …</c>; startup included) vs the
/// podman command that does the same work, both started as processes by this benchmark, alternately, against one
/// running session. The session is created once through the SDK and deleted at the end, outside the timing.
/// </summary>
public abstract class CliProcessBenchmark : IBenchmark
{
    private static readonly string[] AgentCommand = ["bash", "-c", "exec sleep infinity"];

    /// <inheritdoc />
    public abstract string Id { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <summary>The ratio the CLI must meet (issue 16: exec ≤ 1.5, status and list ≤ 3).</summary>
    protected abstract double Target { get; }

    /// <summary>The paude arguments for session <paramref name="session"/>.</summary>
    protected abstract string[] PaudeArguments(string session);

    /// <summary>The podman arguments that do the same work.</summary>
    protected abstract string[] PodmanArguments(string session);

    /// <summary>
    /// The CLI: <c>PAUDE_BENCH_CLI</c> (a native <c>paude</c> from samples/Paude.Cli/build.sh, or another build's
    /// paude.dll, e.g. the one before a change), else the paude.dll built next to this benchmark.
    /// </summary>
    internal static string PaudeDll { get; } = Environment.GetEnvironmentVariable("PAUDE_BENCH_CLI") is { Length: > 0 } cli ? cli : Path.Combine(AppContext.BaseDirectory, "paude.dll");

    /// <summary>How the CLI is started: a dll through <c>dotnet</c>, an executable as itself.</summary>
    internal static (string FileName, string[] Leading) PaudeCommand { get; } =
        PaudeDll.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", [PaudeDll]) : (PaudeDll, []);

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("bx");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        try
        {
            var session = $"{run}-s";
            await backend.CreateAsync(new SessionSpec { Name = SessionName.Parse(session), AgentCommand = AgentCommand }, cancellationToken);
            var (paudeFile, leading) = PaudeCommand;
            string[] paude = [.. leading, .. PaudeArguments(session)];
            var podman = PodmanArguments(session);

            // Warm-up: the file cache holds the runtime and both binaries before the first sample.
            await BenchPodman.RunAsync(paudeFile, paude, ct: cancellationToken);
            await BenchPodman.RunAsync("podman", podman, ct: cancellationToken);
            var cliCpu = new List<double>();
            var rawCpu = new List<double>();
            var (cli, raw) = await Measure.AlternateAsync(
                context.Iterations,
                _ => WithCpuAsync(cliCpu, () => BenchPodman.RunAsync(paudeFile, paude, ct: cancellationToken)),
                _ => WithCpuAsync(rawCpu, () => BenchPodman.RunAsync("podman", podman, ct: cancellationToken)));
            var cliMedian = Measure.Median(cli);
            var rawMedian = Measure.Median(raw);
            return new BenchmarkReport(
                Id,
                [
                    ($"paude {PaudeArguments("s")[0]} median ms", cliMedian), ($"podman {podman[0]} median ms", rawMedian), ("paude min ms", cli.Min()), ("podman min ms", raw.Min()),
                    ("paude CPU median ms (incl. podman)", Measure.Median(cliCpu)), ("podman CPU median ms", Measure.Median(rawCpu)),
                ],
                cliMedian / rawMedian,
                Target);
        }
        finally
        {
            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    // The benchmark runs one command at a time, so the children's CPU delta is that command's (and its podman's).
    private static async Task WithCpuAsync(List<double> samples, Func<Task> run)
    {
        var before = ChildCpu.Milliseconds();
        await run();
        samples.Add(ChildCpu.Milliseconds() - before);
    }
}

/// <summary><c>paude exec s -- true</c> vs <c>podman exec c true</c>.</summary>
public sealed class CliExecBenchmark : CliProcessBenchmark
{
    /// <inheritdoc />
    public override string Id => "cli-exec";

    /// <inheritdoc />
    public override string Description => "process `paude exec s -- true` vs `podman exec c true`";

    /// <inheritdoc />
    protected override double Target => 1.5;

    /// <inheritdoc />
    protected override string[] PaudeArguments(string session) => ["exec", session, "--", "true"];

    /// <inheritdoc />
    protected override string[] PodmanArguments(string session) => ["exec", $"paude-{session}", "true"];
}

/// <summary><c>paude status s</c> vs <c>podman ps -a --filter label=…</c> of the session.</summary>
public sealed class CliStatusBenchmark : CliProcessBenchmark
{
    /// <inheritdoc />
    public override string Id => "cli-status";

    /// <inheritdoc />
    public override string Description => "process `paude status s` vs `podman ps -a --filter label=paude.io/session-name=s`";

    /// <inheritdoc />
    protected override double Target => 3;

    /// <inheritdoc />
    protected override string[] PaudeArguments(string session) => ["status", session];

    /// <inheritdoc />
    protected override string[] PodmanArguments(string session) => ["ps", "-a", "--filter", $"label=paude.io/session-name={session}"];
}

/// <summary><c>paude list</c> vs <c>podman ps -a --filter label=app=paude</c>.</summary>
public sealed class CliListBenchmark : CliProcessBenchmark
{
    /// <inheritdoc />
    public override string Id => "cli-list";

    /// <inheritdoc />
    public override string Description => "process `paude list` vs `podman ps -a --filter label=app=paude`";

    /// <inheritdoc />
    protected override double Target => 3;

    /// <inheritdoc />
    protected override string[] PaudeArguments(string session) => ["list"];

    /// <inheritdoc />
    protected override string[] PodmanArguments(string session) => ["ps", "-a", "--filter", "label=app=paude"];
}
