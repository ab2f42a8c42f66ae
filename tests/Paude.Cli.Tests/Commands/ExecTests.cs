using System.Diagnostics;
using System.Text;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>exec: exit codes, separate streams, stdin, live output, argument vectors (run as a real process where it matters).</summary>
[Collection("podman")]
public sealed class ExecTests(SharedSessionFixture shared)
{
    [Fact]
    public async Task Exit_code_and_separate_stdout_stderr_pass_through_a_real_process()
    {
        var run = await PaudeCli.RunProcessAsync(null, "exec", shared.Name, "--", "bash", "-c", "echo to-out; echo to-err >&2; exit 7");

        Assert.Equal(7, run.ExitCode);
        Assert.Equal("to-out\n", run.Stdout);
        Assert.Equal("to-err\n", run.Stderr);
    }

    [Fact]
    public async Task Success_exits_0()
    {
        var run = await PaudeCli.RunProcessAsync(null, "exec", shared.Name, "--", "git", "-C", "/pvc/workspace", "--version");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("git version", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdin_is_forwarded_and_its_end_is_passed_on()
    {
        var run = await PaudeCli.RunProcessAsync("banana\napple\ncherry\n", "exec", shared.Name, "--", "sort");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("apple\nbanana\ncherry\n", run.Stdout);
    }

    [Fact]
    public async Task Arguments_are_a_vector_and_never_reach_a_shell()
    {
        var run = await PaudeCli.RunAsync("exec", shared.Name, "--", "printf", "%s|", "$(id)", "a b", ";", "`whoami`", "--output");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("$(id)|a b|;|`whoami`|--output|", run.Stdout);
    }

    [Fact]
    public async Task Json_mode_captures_exit_code_and_both_streams()
    {
        var run = await PaudeCli.RunWithInputAsync("héllo"u8.ToArray(), "exec", shared.Name, "-o", "json", "--", "bash", "-c", "cat; echo; echo oops >&2; exit 5");

        Assert.Equal(5, run.ExitCode);
        var json = run.Json();
        Assert.Equal(5, json.GetProperty("exitCode").GetInt32());
        Assert.Equal("héllo\n", json.GetProperty("stdout").GetString());
        Assert.Equal("oops\n", json.GetProperty("stderr").GetString());
        Assert.Equal(shared.Name, json.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Output_streams_live_while_the_command_runs()
    {
        var start = PaudeCli.StartInfo("exec", shared.Name, "--", "bash", "-c", "echo first; sleep 4; echo second");
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var first = await process.StandardOutput.ReadLineAsync();
        var firstSeen = Stopwatch.StartNew();
        var rest = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, await stderr);
        Assert.Equal("first", first);
        Assert.Equal("second\n", rest);

        // Buffered output would arrive all at once at the end; streamed output arrives ~4 s before the end.
        Assert.True(firstSeen.Elapsed > TimeSpan.FromSeconds(2.5), $"'first' arrived only {firstSeen.Elapsed} before the end");
    }

    [Fact]
    public async Task Working_directory_user_and_environment_options_apply()
    {
        var run = await PaudeCli.RunAsync("exec", shared.Name, "-w", "/tmp", "-u", "1000680000:0", "-e", "GREETING=hi there", "--",
            "bash", "-c", "echo \"$(pwd) $(id -u):$(id -g) $GREETING\"");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("/tmp 1000680000:0 hi there\n", run.Stdout);
    }

    [Fact]
    public async Task Ctrl_c_cancels_a_running_exec_and_exits_130_without_a_stack_trace()
    {
        var (exitCode, stderr) = await InterruptExecAsync(Marker());

        Assert.Equal(130, exitCode);
        Assert.Contains("Cancelled.", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// The contract of <c>ISessionProcess</c>: disposing kills a process that still runs. The CLI disposes it on
    /// Ctrl+C, so the command must not outlive the interrupted <c>paude exec</c> inside the session.
    /// </summary>
    [Fact]
    public async Task Ctrl_c_also_stops_the_command_inside_the_session()
    {
        var marker = Marker();

        await InterruptExecAsync(marker);

        var left = await PaudeCli.RunAsync("exec", shared.Name, "--", "pgrep", "-f", $"sleep {marker}");
        Assert.True(left.ExitCode == 1, $"the command still runs in the session: {left}");
    }

    [Fact]
    public async Task Connect_attaches_to_the_agents_tmux_session_and_detaches_with_exit_0()
    {
        // A real pseudo-terminal from util-linux `script`; the keys Ctrl+b d detach from tmux.
        var start = new ProcessStartInfo("script");
        foreach (var arg in new[] { "-qfec", $"{PaudeCli.ShellPrefix} connect {shared.Name}", "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var session = new PipedSession(Process.Start(start)!);

        // Keys only once tmux drew the pane: typed earlier they wait in the pty and detach before anything is shown.
        await session.WaitForAsync("agent ready"); // the stand-in agent's output in its tmux pane
        await session.TypeAsync("\u0002d");
        var (exit, screen) = await session.EndAsync();

        Assert.True(exit == 0, $"exit {exit}: {screen}");
        Assert.Contains("[detached (from session paude)]", screen, StringComparison.Ordinal);
    }

    private static string Marker() => Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<(int ExitCode, string Stderr)> InterruptExecAsync(string marker)
    {
        var start = PaudeCli.StartInfo("exec", shared.Name, "--", "bash", "-c", $"echo started; exec sleep {marker}");
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.Equal("started", await process.StandardOutput.ReadLineAsync());

        TestRun.Interrupt(process.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr);
    }
}
