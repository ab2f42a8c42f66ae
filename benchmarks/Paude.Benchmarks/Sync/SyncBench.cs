using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.Benchmarks.Podman;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Benchmarks.Sync;

/// <summary>
/// Shared plumbing of the sync benchmarks: the SDK's services, a real Podman session (deleted on disposal), a
/// realistic source tree, a session repository with commits.
/// </summary>
internal sealed class SyncBench : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private SyncBench(ServiceProvider services, SessionName session)
    {
        _services = services;
        Session = session;
        Backend = services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        Sync = services.GetRequiredService<ISessionSync>();
        Continuous = services.GetRequiredService<IContinuousSync>();
    }

    public SessionName Session { get; }

    public ISessionBackend Backend { get; }

    public ISessionSync Sync { get; }

    public IContinuousSync Continuous { get; }

    /// <summary>The agent container (Podman backend contract: <c>paude-&lt;session&gt;</c>).</summary>
    public string Container => "paude-" + Session.Value;

    /// <summary>Creates a session named <paramref name="prefix"/> + a random suffix, running <c>sleep infinity</c> as its agent.</summary>
    public static async Task<SyncBench> StartAsync(CancellationToken cancellationToken, string prefix = "bench-push-")
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("podman", o => o.ExtraLabels["paude.benchmark"] = "sync").AddPaudeSync();
        var provider = services.BuildServiceProvider();
        var bench = new SyncBench(provider, SessionName.Parse(BenchPodman.NewRunId(prefix)));
        try
        {
            await bench.Backend.CreateAsync(new SessionSpec { Name = bench.Session, AgentCommand = ["sleep", "infinity"] }, cancellationToken);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }

        return bench;
    }

    /// <summary>A git repository at <paramref name="repo"/> in the session with <paramref name="commits"/> small commits (20 files rewritten in turn).</summary>
    public Task CreateSessionRepositoryAsync(string repo, int commits, CancellationToken cancellationToken) =>
        BenchPodman.RunAsync("podman", ["exec", Container, "bash", "-c",
            "set -e; git init -q -b main \"$1\"; cd \"$1\"; for i in $(seq 1 \"$2\"); do printf '%s\\n' \"$i\" > \"f$((i % 20)).txt\"; git add -A; git -c user.name=a -c user.email=a@b commit -q -m \"c$i\"; done",
            "bash", repo, commits.ToString(CultureInfo.InvariantCulture)], ct: cancellationToken);

    /// <summary>
    /// A branch-strategy pull from the session repository at <paramref name="sessionWorkspace"/>, through the session
    /// helper kept open between syncs (<see cref="SyncOptions.UseSessionHelper"/>).
    /// </summary>
    public Task<SyncResult> PullAsync(string root, string sessionWorkspace, CancellationToken cancellationToken) =>
        Sync.SyncAsync(Session, root, new SyncOptions { SessionWorkspace = sessionWorkspace, UseSessionHelper = true }, null, cancellationToken);

    /// <summary>
    /// Writes <paramref name="files"/> files totalling about <paramref name="totalBytes"/> under <paramref name="root"/>
    /// (source-like: 50 folders, sizes log-uniform between 300 B and 60 KB, text content that compresses like code)
    /// and commits them once with the git CLI.
    /// </summary>
    public static async Task CreateRepositoryAsync(string root, int files, long totalBytes, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var sizes = Enumerable.Range(0, files).Select(_ => Math.Exp(random.NextDouble() * (Math.Log(60_000) - Math.Log(300)) + Math.Log(300))).ToArray();
        var scale = totalBytes / sizes.Sum();
        var words = Enumerable.Range(0, 400).Select(i => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2 + (i % 6)))).ToArray();
        for (var i = 0; i < files; i++)
        {
            var path = Path.Combine(root, "src", $"module{i % 50:D2}", $"part{i / 50 % 10}", $"file{i:D4}.cs");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, Text(random, words, (int)(sizes[i] * scale)), cancellationToken);
        }

        await BenchPodman.RunAsync("git", ["-C", root, "init", "-q", "-b", "main"], ct: cancellationToken);

        // No automatic gc: after committing ~5,500 objects git may start one in the background, which packs and prunes
        // the loose objects a first push is reading (the push then fails, typed, and would be retried): measured here
        // is the push, not the retry.
        await BenchPodman.RunAsync("git", ["-C", root, "config", "gc.auto", "0"], ct: cancellationToken);
        await BenchPodman.RunAsync("git", ["-C", root, "add", "-A"], ct: cancellationToken);
        await BenchPodman.RunAsync("git", ["-C", root, "-c", "user.name=Bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "tree"], ct: cancellationToken);
    }

    /// <summary>Text of about <paramref name="size"/> bytes: lines of pseudo-random identifiers.</summary>
    public static string Text(Random random, string[] words, int size)
    {
        var text = new System.Text.StringBuilder(size + 80);
        while (text.Length < size)
        {
            text.Append("    var ").Append(words[random.Next(words.Length)]).Append(" = ").Append(words[random.Next(words.Length)])
                .Append('(').Append(random.Next(100000)).Append(");\n");
        }

        text.Length = size;
        return text.ToString();
    }

    /// <summary>A push to the session (the helper kept open between syncs when <paramref name="useHelper"/>, as an editor integration would).</summary>
    public Task<SyncResult> PushAsync(string root, string sessionWorkspace, CancellationToken cancellationToken, bool useHelper = false) =>
        Sync.SyncAsync(Session, root, new SyncOptions { Direction = SyncDirection.ToSession, SessionWorkspace = sessionWorkspace, UseSessionHelper = useHelper }, null, cancellationToken);

    /// <summary>
    /// The baseline: <c>rsync -a --blocking-io -e 'podman exec -i'</c> of <paramref name="tree"/> into
    /// <paramref name="destination"/> in the session, with or without <c>.git</c>; returns rsync's "Total bytes sent".
    /// </summary>
    public async Task<long> RsyncAsync(string tree, string destination, bool includeGit, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> exclude = includeGit ? [] : ["--exclude=/.git"];
        var output = await BenchPodman.RunAsync(
            "rsync", ["-a", "--blocking-io", "--stats", .. exclude, "-e", "podman exec -i", tree + "/", $"{Container}:{destination}/"], ct: cancellationToken);
        var line = output.Split('\n').First(l => l.StartsWith("Total bytes sent:", StringComparison.Ordinal));
        return long.Parse(line["Total bytes sent:".Length..].Trim().Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    /// <summary>Prints each side's measured times (ms), so a report's median can be read against its spread.</summary>
    public static void PrintSeries(IReadOnlyList<double> sdk, string baseline, IReadOnlyList<double> other)
    {
        static string Join(IReadOnlyList<double> values) => string.Join(' ', values.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)));
        var width = Math.Max(3, baseline.Length);
        Console.WriteLine($"   {"sdk".PadRight(width)} ms: {Join(sdk)}");
        Console.WriteLine($"   {baseline.PadRight(width)} ms: {Join(other)}");
    }

    /// <summary>SHA-256 of a file in the session (to check both sides really arrived).</summary>
    public async Task<string> SessionHashAsync(string path) =>
        (await BenchPodman.PodmanAsync("exec", Container, "sha256sum", "--", path)).Split(' ')[0];

    public async ValueTask DisposeAsync()
    {
        await Backend.DeleteAsync(Session, CancellationToken.None);
        await _services.DisposeAsync();
    }
}
