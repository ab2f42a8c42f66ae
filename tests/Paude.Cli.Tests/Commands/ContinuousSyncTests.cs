using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Threading.Channels;
using Paude.Cli.Tests.Infrastructure;
using Paude.TestSupport;

namespace Paude.Cli.Tests.Commands;

/// <summary><c>paude sync NAME --direction to --watch</c> as a real process against a real Podman session.</summary>
[Collection("podman")]
[SupportedOSPlatform("linux")]
public sealed class ContinuousSyncTests(SharedSessionFixture shared)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Watch_prints_a_line_per_round_pushes_a_local_change_and_exits_0_on_SIGINT()
    {
        await using var session = await WatchedSession.CreateAsync("watch");
        await using var watch = WatchRun.Start(helper: null, "sync", session.Name, "--direction", "to", "--watch", "--workspace", session.Workspace);

        var first = await watch.NextLineAsync();
        Assert.Matches(@"^\d\d:\d\d:\d\d round 1 \(initial\): \d+ written, 0 deleted, 0 commit\(s\), \d+ bytes, 0 conflict\(s\) \[\d+\.\d s\]$", first);

        await File.WriteAllTextAsync(Path.Combine(session.Workspace, "watched.txt"), "arrived\n");
        await EventuallyAsync(async () => await SessionFileAsync(session.Name, "/pvc/workspace/watched.txt") == "arrived\n");
        var second = await watch.NextLineAsync();
        Assert.Matches(@"^\d\d:\d\d:\d\d round 2 \((changes, \d+ event\(s\)|rescan)\): 1 written, ", second);

        Assert.Equal(0, await watch.InterruptAsync());
        Assert.Contains($"Stopped after {watch.Stdout.Count} round(s).", await watch.Stderr, StringComparison.Ordinal);
        Assert.All(watch.Stdout, l => Assert.Matches(@"^\d\d:\d\d:\d\d round \d+ ", l));
    }

    [Fact]
    public async Task Watch_with_unsupported_options_exits_2_naming_every_problem()
    {
        var run = await PaudeCli.RunAsync("sync", shared.Name, "--watch", "--direction", "to", "--dry-run", "--force", "--strategy", "merge", "-o", "json");

        Assert.Equal(2, run.ExitCode);
        var errors = run.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(
        [
            "--watch: cannot be combined with --dry-run",
            "--watch: cannot be combined with --force (a round never replaces the session's own changes)",
            "Strategy: continuous sync pushes with exclude or branch, not 'Merge'",
        ], errors);

        // Two-way (the default with --watch) syncs files only: a strategy is refused along with the rest.
        var both = await PaudeCli.RunAsync("sync", shared.Name, "--watch", "--dry-run", "--strategy", "merge", "-o", "json");
        Assert.Equal(2, both.ExitCode);
        Assert.Equal(
        [
            "--watch: cannot be combined with --dry-run",
            "--strategy: two-way sync (--direction both, the default with --watch) syncs files only; use --direction push for a strategy",
        ], both.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList());

        // The two-way options without two-way watch: every one named.
        var once = await PaudeCli.RunAsync("sync", shared.Name, "--conflict", "stop", "--fetch-commits", "-o", "json");
        Assert.Equal(2, once.ExitCode);
        Assert.Equal(
        [
            "--conflict: only with --watch --direction both",
            "--fetch-commits: only with --watch --direction both",
        ], once.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList());
    }

    [Fact]
    public async Task Watch_both_ways_prints_json_lines_carries_edits_each_way_and_exits_0_on_SIGINT()
    {
        await using var session = await WatchedSession.CreateAsync("watch2");
        // The agent image built here may predate the helper layer: the CLI injects the host's build then.
        await using var watch = WatchRun.Start(await HelperBuildAsync(), "sync", session.Name, "--watch", "--conflict", "keep-both", "--workspace", session.Workspace, "-o", "json");

        using var first = JsonDocument.Parse(await watch.NextLineAsync());
        Assert.Equal("initial", first.RootElement.GetProperty("trigger").GetString());
        Assert.True(first.RootElement.GetProperty("succeeded").GetBoolean());

        await File.WriteAllTextAsync(Path.Combine(session.Workspace, "from-local.txt"), "local\n");
        await EventuallyAsync(async () => await SessionFileAsync(session.Name, "/pvc/workspace/from-local.txt") == "local\n");
        await WriteInSessionAsync(session.Name, "from-session.txt", "session");
        var pulled = Path.Combine(session.Workspace, "from-session.txt");
        await EventuallyAsync(() => Task.FromResult(File.Exists(pulled) && File.ReadAllText(pulled) == "session\n"));

        Assert.Equal(0, await watch.InterruptAsync());
        Assert.Contains($"Stopped after {watch.Stdout.Count} round(s).", await watch.Stderr, StringComparison.Ordinal);
        var all = watch.JsonLines();
        Assert.Contains(all, r => r.GetProperty("pushed").GetInt32() >= 1);
        Assert.Contains(all, r => r.GetProperty("pulled").GetInt32() >= 1);
    }

    [Fact]
    public async Task Watch_pull_brings_session_edits_and_never_writes_the_session()
    {
        await using var session = await WatchedSession.CreateAsync("watchpull");
        var helper = await HelperBuildAsync();
        await File.WriteAllTextAsync(Path.Combine(session.Workspace, "local-only.txt"), "mine\n");
        await using var watch = WatchRun.Start(helper, "sync", session.Name, "--watch", "--direction", "pull", "--workspace", session.Workspace, "-o", "json");

        using var first = JsonDocument.Parse(await watch.NextLineAsync());
        Assert.Equal("initial", first.RootElement.GetProperty("trigger").GetString());
        Assert.Equal(0, first.RootElement.GetProperty("pushed").GetInt32());

        await WriteInSessionAsync(session.Name, "from-session.txt", "session");
        var pulled = Path.Combine(session.Workspace, "from-session.txt");
        await EventuallyAsync(() => Task.FromResult(File.Exists(pulled) && File.ReadAllText(pulled) == "session\n"));
        await File.WriteAllTextAsync(Path.Combine(session.Workspace, "later-local.txt"), "mine too\n");
        await Task.Delay(TimeSpan.FromSeconds(2)); // time for a round that must not push it

        Assert.Equal(0, await watch.InterruptAsync());
        Assert.Contains(" <- ", await watch.Stderr, StringComparison.Ordinal);
        Assert.Null(await SessionFileAsync(session.Name, "/pvc/workspace/local-only.txt"));
        Assert.Null(await SessionFileAsync(session.Name, "/pvc/workspace/later-local.txt"));
        var all = watch.JsonLines();
        Assert.All(all, r => Assert.Equal(0, r.GetProperty("pushed").GetInt32() + r.GetProperty("deletedSession").GetInt32()));
        Assert.Contains(all, r => r.GetProperty("pulled").GetInt32() >= 1);
    }

    /// <summary>The host's session helper build (helper/build.sh is cached by its inputs).</summary>
    private static async Task<string> HelperBuildAsync() =>
        (await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "helper", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(10)))
            .EnsureSuccess("helper/build.sh").StandardOutput.Trim();

    private static async Task WriteInSessionAsync(string session, string file, string line) =>
        (await Podman.RunAsync(["exec", "paude-" + session, "sh", "-c", $"printf '{line}\\n' > /pvc/workspace/{file}"], writeStdin: null, TimeSpan.FromSeconds(30)))
            .EnsureSuccess("writing in the session");

    /// <summary>A session created by the CLI for one watch test over its own git workspace; deleted with the workspace.</summary>
    private sealed class WatchedSession : IAsyncDisposable
    {
        private WatchedSession(string name, string workspace) => (Name, Workspace) = (name, workspace);

        public string Name { get; }

        public string Workspace { get; }

        public static async Task<WatchedSession> CreateAsync(string prefix)
        {
            var session = new WatchedSession(TestRun.NewSessionName(prefix), TestRun.NewGitWorkspace(prefix));
            var create = await PaudeCli.RunAsync("create", session.Name, "--workspace", session.Workspace, "--agent-command", SharedSessionFixture.StandInAgent, "--allowed-domains", "default");
            if (create.ExitCode != 0)
            {
                await session.DisposeAsync();
                Assert.Fail(create.ToString());
            }

            return session;
        }

        public async ValueTask DisposeAsync()
        {
            await PaudeCli.RunAsync("delete", Name, "--force");
            Directory.Delete(Workspace, recursive: true);
        }
    }

    /// <summary>A running <c>paude sync --watch</c>: its round lines as they come, its stderr, SIGINT, and a kill if still running at disposal.</summary>
    private sealed class WatchRun : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
        private readonly Task _pump;

        private WatchRun(Process process)
        {
            _process = process;
            Stderr = process.StandardError.ReadToEndAsync();
            _pump = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    Stdout.Add(line);
                    await _lines.Writer.WriteAsync(line);
                }

                _lines.Writer.Complete();
            });
        }

        public List<string> Stdout { get; } = [];

        public Task<string> Stderr { get; }

        public static WatchRun Start(string? helper, params string[] args)
        {
            var start = PaudeCli.StartInfo(args);
            start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
            start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";
            if (helper is not null)
            {
                start.Environment["PAUDE_SESSION_HELPER"] = helper;
            }

            return new WatchRun(Process.Start(start)!);
        }

        public Task<string> NextLineAsync() => ContinuousSyncTests.NextLineAsync(_lines, Stderr);

        /// <summary>SIGINT, as Ctrl+C would; returns the exit code once every line was read.</summary>
        public async Task<int> InterruptAsync()
        {
            TestRun.Interrupt(_process.Id);
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(exit.Token);
            await _pump;
            return _process.ExitCode;
        }

        public List<JsonElement> JsonLines() => [.. Stdout.Select(l => JsonDocument.Parse(l).RootElement.Clone())];

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static async Task<string> NextLineAsync(Channel<string> lines, Task<string> stderr)
    {
        using var timeout = new CancellationTokenSource(Bound);
        try
        {
            return await lines.Reader.ReadAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            throw new TimeoutException($"no round line; stderr so far: {(stderr.IsCompleted ? await stderr : "(running)")}", e);
        }
    }

    private static async Task<string?> SessionFileAsync(string session, string path)
    {
        var run = await Podman.RunAsync(["exec", "paude-" + session, "cat", "--", path], writeStdin: null, TimeSpan.FromSeconds(30));
        return run.ExitCode == 0 ? run.StandardOutput : null;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var limit = DateTimeOffset.UtcNow + Bound;
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < limit, "the local change did not arrive in the session in time");
            await Task.Delay(200);
        }
    }
}
