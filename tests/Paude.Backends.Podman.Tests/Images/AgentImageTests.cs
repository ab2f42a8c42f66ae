using System.Diagnostics;

namespace Paude.Tests.Images;

/// <summary>The agent image as an OpenShift-style arbitrary UID on real Podman.</summary>
public sealed class AgentImageTests(AgentEnvironment env) : IClassFixture<AgentEnvironment>
{
    // A stand-in agent: records its argv (NUL-separated) and cwd, then stays running like an interactive agent.
    private const string StandInScript = "printf '%s\\0' \"$@\" > \"$PAUDE_WORKSPACE/argv.bin\"; pwd > \"$PAUDE_WORKSPACE/cwd.txt\"; exec sleep infinity";

    [Fact]
    public async Task HeadlessStartsTheAgentInTmuxWithTheExactArgv()
    {
        string[] args = ["two words", "it's \"quoted\"", "$(touch /tmp/pwned)", "; touch /tmp/pwned2", "*", "line1\nline2", "", "--flag=a b", "ünïcødé"];
        var container = await env.StartAsync("argv", headless: true, AgentEnvironment.EncodeArgv(["/bin/bash", "-c", StandInScript, "stand-in", .. args]));

        Assert.True(await ImageWait.EventuallyAsync(async () => (await Podman.RunAsync(["exec", container, "test", "-s", "/pvc/workspace/cwd.txt"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0, ImageWait.Patience), await AgentEnvironment.PaneAsync(container));
        var recorded = await AgentEnvironment.ExecAsync(container, "cat", "/pvc/workspace/argv.bin");
        Assert.Equal(args, recorded.Split('\0')[..^1]);
        Assert.Equal("/pvc/workspace\n", await AgentEnvironment.ExecAsync(container, "cat", "/pvc/workspace/cwd.txt"));
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", container, "test", "-e", "/tmp/pwned"], writeStdin: null, ImageWait.CommandBound)).ExitCode);
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", container, "test", "-e", "/tmp/pwned2"], writeStdin: null, ImageWait.CommandBound)).ExitCode);
        Assert.Equal("paude\n", await AgentEnvironment.ExecAsync(container, "tmux", "list-sessions", "-F", "#{session_name}"));
        Assert.Equal("/pvc/workspace\n", await AgentEnvironment.ExecAsync(container, "tmux", "display-message", "-p", "-t", "=paude:", "#{pane_current_path}"));
    }

    [Fact]
    public async Task ArbitraryUidHasAWritableHomeWorkspaceAndWorkingGit()
    {
        var container = await env.StartAsync("git", headless: true, AgentEnvironment.EncodeArgv(["sleep", "infinity"]));
        Assert.Equal("1000680000 0\n", await AgentEnvironment.ExecAsync(container, "bash", "-c", "echo $(id -u) $(id -g)"));
        Assert.Equal("paude /home/paude /bin/bash\n", await AgentEnvironment.ExecAsync(container, "bash", "-c", "echo $(whoami) $HOME $(getent passwd $(id -u) | cut -d: -f7)"));
        await AgentEnvironment.ExecAsync(container, "touch", "/home/paude/written");
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", container, "bash", "-c", "echo 'x:x:0:0::/:/bin/sh' >> /etc/passwd"], writeStdin: null, ImageWait.CommandBound)).ExitCode);
        Assert.Equal(string.Empty, await AgentEnvironment.ExecAsync(container, "bash", "-c", "find / -xdev -type f -perm /6000 2>/dev/null; true"));

        // The workspace on a fresh named volume: created by the entrypoint, owned by the UID, group 0 writable.
        Assert.Equal("1000680000:0 775\n", await AgentEnvironment.ExecAsync(container, "stat", "-c", "%u:%g %a", "/pvc/workspace"));
        await AgentEnvironment.ExecAsync(container, "bash", "-c", "echo hi > /pvc/workspace/file && mkdir -p /pvc/other");

        await AgentEnvironment.ExecAsync(container, "git", "config", "--global", "user.email", "agent@paude.test");
        await AgentEnvironment.ExecAsync(container, "git", "config", "--global", "user.name", "Agent");
        await AgentEnvironment.ExecAsync(container, "git", "-C", "/pvc/workspace", "init", "-q", "repo");
        await AgentEnvironment.ExecAsync(container, "bash", "-c", "cd /pvc/workspace/repo && echo content > a.txt && git add a.txt && git commit -q -m 'first commit'");
        Assert.Equal("first commit\n", await AgentEnvironment.ExecAsync(container, "git", "-C", "/pvc/workspace/repo", "log", "--format=%s"));
        Assert.Equal("main\n", await AgentEnvironment.ExecAsync(container, "git", "-C", "/pvc/workspace/repo", "branch", "--show-current"));
        Assert.Contains("*", await AgentEnvironment.ExecAsync(container, "git", "config", "--get-all", "safe.directory"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANewUidOnTheSameVolumeCanWriteWhatTheAgentWrote()
    {
        // OpenShift may give the next pod another UID (GID stays 0): the agent's files must be group-writable.
        const string Writer = "mkdir -p \"$PAUDE_WORKSPACE/dir\"; echo from-a > \"$PAUDE_WORKSPACE/dir/shared.txt\"; exec sleep infinity";
        var first = await env.StartAsync("uid-a", headless: true, AgentEnvironment.EncodeArgv(["/bin/bash", "-c", Writer]));
        Assert.True(await ImageWait.EventuallyAsync(async () => (await Podman.RunAsync(["exec", first, "test", "-s", "/pvc/workspace/dir/shared.txt"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0, ImageWait.Patience));
        await Podman.CheckAsync("rm", "-f", "-t", "0", first);

        var second = await env.StartAsync("uid-b", headless: false, null, user: "1000690000:0", existingVolume: $"{first}-workspace");
        await AgentEnvironment.ExecAsync(second, "bash", "-c", "echo from-b >> /pvc/workspace/dir/shared.txt && touch /pvc/workspace/dir/new && touch /pvc/workspace/top");
        Assert.Equal("from-a\nfrom-b\n", await AgentEnvironment.ExecAsync(second, "cat", "/pvc/workspace/dir/shared.txt"));
        Assert.Equal("1000680000:0 664\n", await AgentEnvironment.ExecAsync(second, "stat", "-c", "%u:%g %a", "/pvc/workspace/dir/shared.txt"));
    }

    [Fact]
    public async Task NotHeadlessLeavesTmuxToTheFirstAttachAndRacingCreatorsMakeOneSession()
    {
        var container = await env.StartAsync("race", headless: false, AgentEnvironment.EncodeArgv(["sleep", "infinity"]));
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", container, "tmux", "has-session", "-t", "=paude"], writeStdin: null, ImageWait.CommandBound)).ExitCode);

        var racers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Podman.RunAsync(["exec", container, "paude-start-session"], writeStdin: null, ImageWait.CommandBound)));
        Assert.All(racers, r => Assert.Equal(0, r.ExitCode));
        Assert.Equal("paude\n", await AgentEnvironment.ExecAsync(container, "tmux", "list-sessions", "-F", "#{session_name}"));
        Assert.Equal("1\n", await AgentEnvironment.ExecAsync(container, "bash", "-c", "tmux list-panes -a | wc -l"));
    }

    [Fact]
    public async Task AttachJoinsTheSessionAndReturnsOnDetach()
    {
        var container = await env.StartAsync("attach", headless: false, AgentEnvironment.EncodeArgv(["sleep", "infinity"]));
        var attach = Podman.RunAsync(["exec", "-t", "-e", "TERM=xterm", container, "paude-attach"], writeStdin: null, TimeSpan.FromSeconds(60));
        Assert.True(await ImageWait.EventuallyAsync(
            async () => (await Podman.RunAsync(["exec", container, "tmux", "list-clients", "-t", "=paude"], writeStdin: null, ImageWait.CommandBound)).StandardOutput.Length > 0, ImageWait.Patience), "paude-attach did not attach a tmux client");
        await AgentEnvironment.ExecAsync(container, "tmux", "detach-client", "-s", "=paude");
        var result = await attach;
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("detached", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("paude\n", await AgentEnvironment.ExecAsync(container, "tmux", "list-sessions", "-F", "#{session_name}"));
    }

    [Fact]
    public async Task ContainerAndSessionOutliveTheAgent()
    {
        var container = await env.StartAsync("exit", headless: true, AgentEnvironment.EncodeArgv(["/bin/sh", "-c", "echo stand-in-ran; exit 3"]));
        Assert.True(await ImageWait.EventuallyAsync(async () => (await AgentEnvironment.PaneAsync(container)).Contains("exited with code 3", StringComparison.Ordinal), ImageWait.Patience), await AgentEnvironment.PaneAsync(container));
        Assert.Contains("stand-in-ran", await AgentEnvironment.PaneAsync(container), StringComparison.Ordinal);
        Assert.Equal("running\n", await Podman.CheckAsync("inspect", "--format", "{{.State.Status}}", container));
        Assert.Equal(0, (await Podman.RunAsync(["exec", container, "tmux", "has-session", "-t", "=paude"], writeStdin: null, ImageWait.CommandBound)).ExitCode);
    }

    [Fact]
    public async Task InvalidArgvIsReportedAndNothingIsRun()
    {
        var container = await env.StartAsync("badargv", headless: true, "!!not-base64!!");
        Assert.True(await ImageWait.EventuallyAsync(async () => (await AgentEnvironment.PaneAsync(container)).Contains("PAUDE_AGENT_ARGV is not valid", StringComparison.Ordinal), ImageWait.Patience), await AgentEnvironment.PaneAsync(container));
        Assert.Equal("running\n", await Podman.CheckAsync("inspect", "--format", "{{.State.Status}}", container));
    }

    [Fact]
    public async Task WithoutAnArgvTheDefaultAgentIsClaudeCodeReadyWithoutAnyDialog()
    {
        // The default is the real Claude Code through its sandbox launcher: no onboarding, theme, trust or
        // bypass-mode dialog may stand between the start and the prompt (an unattended session would hang there).
        var container = await env.StartAsync("default", headless: true, argvBase64: null);
        Assert.True(
            await ImageWait.EventuallyAsync(async () => (await AgentEnvironment.PaneAsync(container)).Contains("bypass permissions on", StringComparison.Ordinal), ImageWait.Patience),
            await AgentEnvironment.PaneAsync(container));
        var pane = await AgentEnvironment.PaneAsync(container);
        Assert.Contains("Claude Code v", pane, StringComparison.Ordinal);
        Assert.Contains("/pvc/workspace", pane, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1000680000:0")]
    [InlineData("1001:0")]
    public async Task ClaudeVersionRunsAsAnyUidWithoutNode(string user)
    {
        var result = await Podman.RunAsync(["run", "--rm", "--label", TestRun.Label, "--user", user, "--entrypoint", "bash", AgentEnvironment.Image, "-c", "! command -v node && claude --version"], writeStdin: null, ImageWait.CommandBound);
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Matches(@"^\d+\.\d+\.\d+ \(Claude Code\)\n$", result.StandardOutput);
    }

    [Fact]
    public async Task StopIsFastAndRestartKeepsTheWorkspaceAndRestartsTheAgent()
    {
        var container = await env.StartAsync("restart", headless: true, AgentEnvironment.EncodeArgv(["/bin/bash", "-c", StandInScript, "stand-in", "run"]));
        await AgentEnvironment.ExecAsync(container, "bash", "-c", "echo kept > /pvc/workspace/kept.txt && rm -f /pvc/workspace/cwd.txt");
        var watch = Stopwatch.StartNew();
        await Podman.CheckAsync("stop", "-t", "30", container);
        // SIGTERM ends it at once (--init, shutdown_lifetime 0); a process that ignored it would take the full 30 s.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"stop took {watch.Elapsed}");

        await Podman.CheckAsync("start", container);
        Assert.True(await ImageWait.EventuallyAsync(async () => (await Podman.RunAsync(["exec", container, "test", "-s", "/pvc/workspace/cwd.txt"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0, ImageWait.Patience), "the agent did not start again");
        Assert.Equal("kept\n", await AgentEnvironment.ExecAsync(container, "cat", "/pvc/workspace/kept.txt"));
        Assert.Equal("paude /home/paude\n", await AgentEnvironment.ExecAsync(container, "bash", "-c", "echo $(whoami) $HOME"));
    }

    [Fact]
    public async Task ImageDefaultsFollowTheContract()
    {
        var config = await Podman.CheckAsync("image", "inspect", "--format", "{{.Config.User}}|{{json .Config.Entrypoint}}", AgentEnvironment.Image);
        Assert.Equal("1001:0|[\"/usr/local/bin/paude-entrypoint\"]\n", config);
        var ls = await Podman.CheckAsync("run", "--rm", "--label", env.Label, "--entrypoint", "stat", AgentEnvironment.Image, "-c", "%n %u:%g %a", "/pvc", "/home/paude", "/usr/local/bin/paude-attach");
        Assert.Equal("/pvc 0:0 775\n/home/paude 0:0 775\n/usr/local/bin/paude-attach 0:0 755\n", ls);
    }
}
