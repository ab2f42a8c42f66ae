using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using Paude.Benchmarks.Harness;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Benchmarks.Podman;

/// <summary>
/// create→Running through the SDK vs the raw podman commands that do the same work (workspace volume, proxy
/// socket volume, proxy config volume with the rendered squid.conf, proxy run on the default network with its
/// socket bridge, agent run without a network, with init, tmpfs credentials and the contract's environment, then
/// waiting until squid accepts connections and the agent's bridge listens). Deletes run outside the timing.
/// </summary>
public sealed class PodmanCreateBenchmark : IBenchmark
{
    private const string AgentImage = "localhost/paude-agent:latest";
    private const string ProxyImage = "localhost/paude-proxy:latest";
    private static readonly string[] AgentCommand = ["bash", "-c", "exec sleep infinity"];
    private static readonly EgressPolicy Policy = EgressPolicy.Parse(["allowed.paude.test"]);

    /// <inheritdoc />
    public string Id => "podman-create";

    /// <inheritdoc />
    public string Description => "SDK CreateAsync→Running vs raw podman volume/socket/config/proxy/agent commands";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        var run = BenchPodman.NewRunId("bc");
        var (services, backend) = BenchPodman.CreateBackend();
        await using var _ = services;
        try
        {
            // One warm-up of each side so JIT and image caches do not land in the first sample.
            await SdkCreateAsync(backend, run, -1, cancellationToken);
            await RawCreateAsync(run, -1, cancellationToken);
            await CleanupAsync(backend, run, -1);

            var (sdk, raw) = await Measure.AlternateAsync(
                context.Iterations,
                i => SdkCreateAsync(backend, run, i, cancellationToken),
                i => RawCreateAsync(run, i, cancellationToken),
                i => CleanupAsync(backend, run, i));
            var sdkMedian = Measure.Median(sdk);
            var rawMedian = Measure.Median(raw);
            return new BenchmarkReport(
                Id,
                [("sdk create→running median ms", sdkMedian), ("raw podman commands median ms", rawMedian), ("sdk min ms", sdk.Min()), ("raw min ms", raw.Min())],
                sdkMedian / rawMedian,
                1.3);
        }
        finally
        {
            await BenchPodman.RemoveContainingAsync(run);
        }
    }

    private static Task<SessionInfo> SdkCreateAsync(ISessionBackend backend, string run, int i, CancellationToken ct)
        => backend.CreateAsync(new SessionSpec { Name = SessionName.Parse($"{run}-s{i + 1}"), AgentCommand = AgentCommand, Egress = Policy }, ct);

    private static async Task CleanupAsync(ISessionBackend backend, string run, int i)
    {
        var name = SessionName.Parse($"{run}-s{i + 1}");
        if (await backend.GetAsync(name) is not null)
        {
            await backend.DeleteAsync(name);
        }

        var raw = $"{run}-r{i + 1}";
        if (await ExistsAsync("container", "exists", $"paude-{raw}"))
        {
            await BenchPodman.PodmanAsync("rm", "-f", "-t", "0", $"paude-{raw}", $"paude-proxy-{raw}");
            await BenchPodman.PodmanAsync("volume", "rm", "-f", $"paude-{raw}-workspace", $"paude-proxy-{raw}-config", $"paude-{raw}-sock");
        }
    }

    private static async Task<bool> ExistsAsync(params string[] args)
    {
        try
        {
            await BenchPodman.PodmanAsync(args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The same work as the SDK's create, as the minimal sequence of podman commands.</summary>
    private static async Task RawCreateAsync(string run, int i, CancellationToken ct)
    {
        var n = $"{run}-r{i + 1}";
        string[] labels = ["--label", "app=paude-bench", "--label", $"paude.io/session-name={n}"];
        await BenchPodman.PodmanAsync(["volume", "create", .. labels, $"paude-{n}-workspace"]);
        await BenchPodman.PodmanAsync(["volume", "create", .. labels, $"paude-{n}-sock"]);
        await BenchPodman.PodmanAsync(["volume", "create", .. labels, $"paude-proxy-{n}-config"]);
        using (var config = ConfigTar())
        {
            await BenchPodman.RunAsync("podman", ["volume", "import", $"paude-proxy-{n}-config", "-"], config, ct);
        }

        // The same hardening and limits as the SDK's containers, so only the SDK's own overhead is measured.
        string[] hardening = ["--security-opt", "no-new-privileges", "--cap-drop", "ALL"];
        await BenchPodman.PodmanAsync(["run", "-d", "--init", "--pull=never", "--name", $"paude-proxy-{n}", .. labels, .. hardening,
            "--memory", "268435456", "--cpus", "1", "--pids-limit", "256",
            "--network", "podman", "-v", $"paude-proxy-{n}-config:/etc/paude-proxy:ro", "-v", $"paude-{n}-sock:/run/paude-proxy:U",
            "-e", "PAUDE_PROXY_SOCKET=/run/paude-proxy/proxy.sock", ProxyImage]);
        var argv = Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\0', AgentCommand)));
        var proxy = "http://127.0.0.1:3128";
        await BenchPodman.PodmanAsync(["run", "-d", "--init", "--pull=never", "--name", $"paude-{n}", .. labels, .. hardening,
            "--memory", "4294967296", "--cpus", "2", "--pids-limit", "2048", "--passwd-entry", "paude:x:$UID:$GID:paude:/home/paude:/bin/bash",
            "--network", "none", "--no-hosts", "-v", $"paude-{n}-workspace:/pvc", "-v", $"paude-{n}-sock:/run/paude-proxy:ro", "--tmpfs", "/credentials:rw,mode=0770",
            "-e", "PAUDE_PROXY_SOCKET=/run/paude-proxy/proxy.sock",
            "-e", $"PAUDE_SESSION_NAME={n}", "-e", $"PAUDE_AGENT_ARGV={argv}", "-e", "PAUDE_HEADLESS=1",
            "-e", $"HTTP_PROXY={proxy}", "-e", $"HTTPS_PROXY={proxy}", "-e", $"http_proxy={proxy}", "-e", $"https_proxy={proxy}",
            "-e", "NO_PROXY=localhost,127.0.0.1", "--label", $"paude.io/agent-argv={JsonSerializer.Serialize(AgentCommand)}", AgentImage]);

        // Like the SDK, done means the proxy serves: probe squid's port until it accepts a connection, and (at the
        // same time) the agent's bridge until it listens and the socket exists.
        var bridge = BenchPodman.PodmanAsync("exec", $"paude-{n}", "bash", "-c",
            "for i in $(seq 200); do [ -S /run/paude-proxy/proxy.sock ] && (exec 3<>/dev/tcp/127.0.0.1/3128) 2>/dev/null && exit 0; sleep 0.05; done; exit 1");
        while (!await ExistsAsync("exec", $"paude-proxy-{n}", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3128"))
        {
            await Task.Delay(50, ct);
        }

        await bridge;
    }

    private static MemoryStream ConfigTar()
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "squid.conf")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(SquidConfig.Render(Policy))),
                Mode = (UnixFileMode)0x1A4,
            });
        }

        stream.Position = 0;
        return stream;
    }
}
