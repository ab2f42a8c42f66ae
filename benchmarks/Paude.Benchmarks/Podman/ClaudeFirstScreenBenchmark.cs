using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// Session create→Claude Code's first screen (its prompt in tmux, read with capture-pane) through the SDK vs
/// <c>podman run --rm</c> of the same image running <c>claude --version</c> (the target's baseline), and, reported
/// beside it, a bare <c>podman run -d</c> of the image to the same first screen and the floor: Claude Code alone,
/// started in an already running container of the image, to its first screen. The image is
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
            await FloorAsync(run, -1, cancellationToken);
            // Four sides, each once per iteration in a rotating order (deletes untimed, between them):
            //  - the SDK's create to Claude Code's first screen;
            //  - the target's baseline, `podman run --rm` of the image running `claude --version`;
            //  - a bare `podman run -d` of the image (its own entrypoint; no proxy, no volumes, no credentials) to the
            //    same first screen: what the SDK's own work adds is the difference to this;
            //  - the floor: Claude Code alone, started in tmux in an already running container of the image (started
            //    outside the timing), to its first screen, timed inside the container. No create can beat it.
            var floorExec = new List<double>();
            var (sdkCpu, interactiveCpu) = (new List<double>(), new List<double>());
            var samples = await Measure.RotateAsync(
                context.Iterations,
                [
                    i => CpuAsync(sdkCpu, () => Measure.TimeAsync(() => SdkAsync(backend, run, i, cancellationToken))),
                    _ => Measure.TimeAsync(() => RawAsync(cancellationToken)),
                    i => RawInteractiveAsync(run, i, interactiveCpu, cancellationToken),
                    async i =>
                    {
                        var (inside, exec) = await FloorAsync(run, i, cancellationToken);
                        floorExec.Add(exec);
                        return inside;
                    },
                ],
                i => CleanupAsync(backend, run, i));
            var (sdk, raw, interactive, floor) = (samples[0], samples[1], samples[2], samples[3]);
            var sdkMedian = Measure.Median(sdk);
            var rawMedian = Measure.Median(raw);
            var interactiveMedian = Measure.Median(interactive);
            var floorMedian = Measure.Median(floor);
            return new BenchmarkReport(
                Id,
                [
                    ("sdk create→first screen median ms", sdkMedian),
                    ("podman run claude --version median ms", rawMedian),
                    ("podman run -d → first screen median ms", interactiveMedian),
                    ("floor (claude alone) median ms", floorMedian),
                    ("floor + its podman exec median ms", Measure.Median(floorExec)),
                    ("sdk / podman run -d", sdkMedian / interactiveMedian),
                    ("sdk − podman run -d median ms", sdkMedian - interactiveMedian),
                    ("sdk / floor", sdkMedian / floorMedian),
                    ("podman run -d / floor", interactiveMedian / floorMedian),
                    ("floor / podman run (no create beats it)", floorMedian / rawMedian),
                    ("sdk podman CPU median ms", Measure.Median(sdkCpu)),
                    ("podman run -d podman CPU median ms", Measure.Median(interactiveCpu)),
                    ("sdk min ms", sdk.Min()),
                    ("raw min ms", raw.Min()),
                    ("podman run -d min ms", interactive.Min()),
                    ("floor min ms", floor.Min()),
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
    private static async Task<double> RawInteractiveAsync(string run, int i, List<double> cpu, CancellationToken ct)
    {
        var container = $"{run}-raw{i + 1}";
        var ms = await CpuAsync(cpu, () => Measure.TimeAsync(async () =>
        {
            await BenchPodman.RunAsync("podman", ["run", "-d", "--name", container, "--init", "--pull=never", "--network", "none", Image], ct: ct);
            await WaitFirstScreenAsync(container, ct);
        }));
        await BenchPodman.RunAsync("podman", ["rm", "-f", "-t", "0", container], ct: ct);
        return ms;
    }

    /// <summary>
    /// Claude Code alone: a container of the image runs its entrypoint without starting the agent (PAUDE_HEADLESS=0)
    /// and has settled (the entrypoint sleeps) before the clock starts; then one exec starts Claude Code in tmux as
    /// the entrypoint would and watches the pane. Timed inside the container, so no podman process is in it. Returns
    /// that time and, beside it, the exec's own wall-clock time; ms.
    /// </summary>
    private static async Task<(double Inside, double Exec)> FloorAsync(string run, int i, CancellationToken ct)
    {
        var container = $"{run}-floor{i + 1}";
        await BenchPodman.RunAsync("podman", ["run", "-d", "--name", container, "--init", "--pull=never", "--network", "none", "-e", "PAUDE_HEADLESS=0", Image], ct: ct);
        await BenchPodman.RunAsync("podman", ["exec", container, "timeout", "60", "bash", "-c", "until pgrep -f '^sleep infinity$' >/dev/null; do sleep 0.05; done"], ct: ct);
        var inside = string.Empty;
        var exec = await Measure.TimeAsync(async () => inside = await BenchPodman.RunAsync(
            "podman",
            [
                "exec", container, "timeout", "120", "bash", "-c",
                "s=$(date +%s%N); tmux -u new-session -d -s paude -c \"$PAUDE_WORKSPACE\" -x 200 -y 50 paude-agent-claude; "
                + "until tmux capture-pane -p -t paude 2>/dev/null | grep -qF 'bypass permissions on'; do sleep 0.05; done; "
                + "e=$(date +%s%N); echo $(( (e - s) / 1000 ))",
            ],
            ct: ct));
        await BenchPodman.RunAsync("podman", ["rm", "-f", "-t", "0", container], ct: ct);
        return (long.Parse(inside.Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1000.0, exec);
    }

    /// <summary>
    /// Runs a side and adds to <paramref name="cpu"/> the CPU time of the podman processes it ran (this process's
    /// reaped children; not the containers' own processes): the client-side cost of that side, which, unlike its wall
    /// time, other work on a loaded machine barely moves.
    /// </summary>
    private static async Task<double> CpuAsync(List<double> cpu, Func<Task<double>> side)
    {
        var before = ChildCpu.Milliseconds();
        var ms = await side();
        cpu.Add(ChildCpu.Milliseconds() - before);
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
