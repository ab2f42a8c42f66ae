using System.Diagnostics;
using System.Globalization;
using System.Text;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Hosting.Terminal;

/// <summary>
/// <c>paude connect</c> on <c>--backend openshift</c> as a real process on a real pseudo-terminal (util-linux
/// <c>script</c>) against the Kubernetes test server: the agent's tmux client sees the local terminal's size, the
/// keys reach tmux untranslated (Ctrl+b d detaches, which a cooked terminal would hold back until Enter), the
/// exit code is 0 and the local terminal settings are exactly as before.
/// </summary>
[Collection("openshift")]
public sealed class OpenShiftConnectTests(KubeServerFixture cluster) : IAsyncLifetime
{
    // Prints the size of the attached tmux client (= the pty of the exec) every half second, without spaces so
    // tmux's screen drawing cannot split it.
    private const string SizeReporter = "bash -c 'while :; do echo \"client=$(tmux display-message -p \"#{client_height}x#{client_width}\")\"; sleep 0.5; done'";

    private readonly string _name = TestRun.NewSessionName("osconn");
    private readonly string _workspace = TestRun.NewGitWorkspace("osconn");

    public async Task InitializeAsync()
    {
        var created = await cluster.PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SizeReporter);
        Assert.True(created.ExitCode == 0, created.ToString());
    }

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Connect_passes_the_terminal_size_and_its_changes_on_detaches_with_exit_0_and_restores_the_terminal()
    {
        using var script = StartConnect(cols: 91, rows: 33);

        await script.WaitForAsync("client=33x91");

        // Resizing the pty the way a terminal window does (TIOCSWINSZ): the kernel sends SIGWINCH to paude.
        var terminal = TestRun.Run("readlink", $"/proc/{ConnectPid()}/fd/0").Trim();
        Assert.StartsWith("/dev/pts/", terminal, StringComparison.Ordinal);
        TestRun.Run("stty", "-F", terminal, "cols", "120", "rows", "40");
        await script.WaitForAsync("client=40x120");
        await script.TypeAsync("\u0002d");
        var (exit, screen) = await script.EndAsync();

        Assert.True(exit == 0, screen);
        Assert.Contains("[detached (from session paude)]", screen, StringComparison.Ordinal);
        Assert.Contains("connect-exit=0", screen, StringComparison.Ordinal);
        Assert.Contains("TERMINAL-RESTORED", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interrupted_connect_exits_130_and_still_restores_the_terminal()
    {
        using var script = StartConnect(cols: 100, rows: 30);
        await script.WaitForAsync("client=30x100");

        TestRun.Interrupt(ConnectPid());
        var (_, screen) = await script.EndAsync();

        Assert.Contains("connect-exit=130", screen, StringComparison.Ordinal);
        Assert.Contains("TERMINAL-RESTORED", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_with_piped_input_just_pumps_the_bytes_and_detaches_with_exit_0()
    {
        // No terminal on this side: no raw mode and no size; the bytes still reach tmux in the session.
        var start = PaudeCli.StartInfo(["connect", _name, .. cluster.ClusterArgs]);
        start.RedirectStandardInput = start.RedirectStandardOutput = start.RedirectStandardError = true;

        using var process = new PipedSession(Process.Start(start)!);
        await process.WaitForAsync("client=");
        await process.TypeAsync("\u0002d");
        var (exit, screen) = await process.EndAsync();

        Assert.True(exit == 0, $"exit {exit}: {screen}");
        Assert.Contains("[detached (from session paude)]", screen, StringComparison.Ordinal);
    }

    /// <summary>
    /// The paude process of this test's connect (the shell around it has the arguments quoted): <c>dotnet paude.dll</c>,
    /// or the managed build the native binary replaced itself with (<c>…/managed/paude</c>, same pid).
    /// </summary>
    private int ConnectPid()
    {
        var pids = TestRun.Run("pgrep", "-f", $"paude(\\.dll)? connect {_name} ").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(Assert.Single(pids).Trim(), CultureInfo.InvariantCulture);
    }

    private PipedSession StartConnect(int cols, int rows)
    {
        var connect = PaudeCli.ShellPrefix + " " + string.Join(' ', ((string[])["connect", _name, .. cluster.ClusterArgs]).Select(Quote));
        var command = $"stty cols {cols} rows {rows}; before=$(stty -g); {connect}; code=$?; after=$(stty -g); echo connect-exit=$code; " +
                      "if [ \"$before\" = \"$after\" ]; then echo TERMINAL-RESTORED; else echo \"TERMINAL-CHANGED $before -> $after\"; fi";
        var start = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-qfec", command, "/dev/null" })
        {
            start.ArgumentList.Add(arg);
        }

        return new PipedSession(Process.Start(start)!);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
