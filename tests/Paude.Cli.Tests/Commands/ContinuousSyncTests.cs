using System.Diagnostics;
using System.Runtime.Versioning;
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
        var name = TestRun.NewSessionName("watch");
        var workspace = TestRun.NewGitWorkspace("watch");
        try
        {
            var create = await PaudeCli.RunAsync("create", name, "--workspace", workspace, "--agent-command", SharedSessionFixture.StandInAgent, "--allowed-domains", "default");
            Assert.True(create.ExitCode == 0, create.ToString());
            var start = PaudeCli.StartInfo("sync", name, "--direction", "to", "--watch", "--workspace", workspace);
            start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;

            start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";
            using var process = Process.Start(start)!;
            var lines = Channel.CreateUnbounded<string>();
            var stdout = new List<string>();
            var pump = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    stdout.Add(line);
                    await lines.Writer.WriteAsync(line);
                }

                lines.Writer.Complete();
            });
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                var first = await NextLineAsync(lines, stderr);
                Assert.Matches(@"^\d\d:\d\d:\d\d round 1 \(initial\): \d+ written, 0 deleted, 0 commit\(s\), \d+ bytes, 0 conflict\(s\) \[\d+\.\d s\]$", first);

                await File.WriteAllTextAsync(Path.Combine(workspace, "watched.txt"), "arrived\n");
                await EventuallyAsync(async () => await SessionFileAsync(name, "/pvc/workspace/watched.txt") == "arrived\n");
                var second = await NextLineAsync(lines, stderr);
                Assert.Matches(@"^\d\d:\d\d:\d\d round 2 \((changes, \d+ event\(s\)|rescan)\): 1 written, ", second);

                TestRun.Interrupt(process.Id);
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await process.WaitForExitAsync(exit.Token);
                await pump;
                Assert.Equal(0, process.ExitCode);
                Assert.Contains($"Stopped after {stdout.Count} round(s).", await stderr, StringComparison.Ordinal);
                Assert.All(stdout, l => Assert.Matches(@"^\d\d:\d\d:\d\d round \d+ ", l));
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            await PaudeCli.RunAsync("delete", name, "--force");
            Directory.Delete(workspace, recursive: true);
        }
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
        var name = TestRun.NewSessionName("watch2");
        var workspace = TestRun.NewGitWorkspace("watch2");
        try
        {
            var create = await PaudeCli.RunAsync("create", name, "--workspace", workspace, "--agent-command", SharedSessionFixture.StandInAgent, "--allowed-domains", "default");
            Assert.True(create.ExitCode == 0, create.ToString());
            // The agent image built here may predate the helper layer: the CLI injects the host's build then.
            var helper = (await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "helper", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(10)))
                .EnsureSuccess("helper/build.sh").StandardOutput.Trim();
            var start = PaudeCli.StartInfo("sync", name, "--watch", "--conflict", "keep-both", "--workspace", workspace, "-o", "json");
            start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;

            start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";
            start.Environment["PAUDE_SESSION_HELPER"] = helper;
            using var process = Process.Start(start)!;
            var lines = Channel.CreateUnbounded<string>();
            var stdout = new List<string>();
            var pump = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    stdout.Add(line);
                    await lines.Writer.WriteAsync(line);
                }

                lines.Writer.Complete();
            });
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                using var first = System.Text.Json.JsonDocument.Parse(await NextLineAsync(lines, stderr));
                Assert.Equal("initial", first.RootElement.GetProperty("trigger").GetString());
                Assert.True(first.RootElement.GetProperty("succeeded").GetBoolean());

                await File.WriteAllTextAsync(Path.Combine(workspace, "from-local.txt"), "local\n");
                await EventuallyAsync(async () => await SessionFileAsync(name, "/pvc/workspace/from-local.txt") == "local\n");
                await Podman.RunAsync(["exec", "paude-" + name, "sh", "-c", "printf 'session\\n' > /pvc/workspace/from-session.txt"], writeStdin: null, TimeSpan.FromSeconds(30));
                var pulled = Path.Combine(workspace, "from-session.txt");
                await EventuallyAsync(() => Task.FromResult(File.Exists(pulled) && File.ReadAllText(pulled) == "session\n"));

                TestRun.Interrupt(process.Id);
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await process.WaitForExitAsync(exit.Token);
                await pump;
                Assert.Equal(0, process.ExitCode);
                Assert.Contains($"Stopped after {stdout.Count} round(s).", await stderr, StringComparison.Ordinal);
                var all = stdout.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.Clone()).ToList();
                Assert.Contains(all, r => r.GetProperty("pushed").GetInt32() >= 1);
                Assert.Contains(all, r => r.GetProperty("pulled").GetInt32() >= 1);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            await PaudeCli.RunAsync("delete", name, "--force");
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task Watch_pull_brings_session_edits_and_never_writes_the_session()
    {
        var name = TestRun.NewSessionName("watchpull");
        var workspace = TestRun.NewGitWorkspace("watchpull");
        try
        {
            var create = await PaudeCli.RunAsync("create", name, "--workspace", workspace, "--agent-command", SharedSessionFixture.StandInAgent, "--allowed-domains", "default");
            Assert.True(create.ExitCode == 0, create.ToString());
            var helper = (await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "helper", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(10)))
                .EnsureSuccess("helper/build.sh").StandardOutput.Trim();
            await File.WriteAllTextAsync(Path.Combine(workspace, "local-only.txt"), "mine\n");
            var start = PaudeCli.StartInfo("sync", name, "--watch", "--direction", "pull", "--workspace", workspace, "-o", "json");
            start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
            start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";
            start.Environment["PAUDE_SESSION_HELPER"] = helper;
            using var process = Process.Start(start)!;
            var lines = Channel.CreateUnbounded<string>();
            var stdout = new List<string>();
            var pump = Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line)
                {
                    stdout.Add(line);
                    await lines.Writer.WriteAsync(line);
                }

                lines.Writer.Complete();
            });
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                using var first = System.Text.Json.JsonDocument.Parse(await NextLineAsync(lines, stderr));
                Assert.Equal("initial", first.RootElement.GetProperty("trigger").GetString());
                Assert.Equal(0, first.RootElement.GetProperty("pushed").GetInt32());

                await Podman.RunAsync(["exec", "paude-" + name, "sh", "-c", "printf 'session\\n' > /pvc/workspace/from-session.txt"], writeStdin: null, TimeSpan.FromSeconds(30));
                var pulled = Path.Combine(workspace, "from-session.txt");
                await EventuallyAsync(() => Task.FromResult(File.Exists(pulled) && File.ReadAllText(pulled) == "session\n"));
                await File.WriteAllTextAsync(Path.Combine(workspace, "later-local.txt"), "mine too\n");
                await Task.Delay(TimeSpan.FromSeconds(2)); // time for a round that must not push it

                TestRun.Interrupt(process.Id);
                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await process.WaitForExitAsync(exit.Token);
                await pump;
                Assert.Equal(0, process.ExitCode);
                Assert.Contains(" <- ", await stderr, StringComparison.Ordinal);
                Assert.Null(await SessionFileAsync(name, "/pvc/workspace/local-only.txt"));
                Assert.Null(await SessionFileAsync(name, "/pvc/workspace/later-local.txt"));
                var all = stdout.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.Clone()).ToList();
                Assert.All(all, r => Assert.Equal(0, r.GetProperty("pushed").GetInt32() + r.GetProperty("deletedSession").GetInt32()));
                Assert.Contains(all, r => r.GetProperty("pulled").GetInt32() >= 1);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            await PaudeCli.RunAsync("delete", name, "--force");
            Directory.Delete(workspace, recursive: true);
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
