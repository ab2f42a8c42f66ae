using System.Diagnostics;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary>
/// The README's main job: scripts/demo.sh end to end with the CLI and the stand-in these tests were built with (the
/// real Claude Code in a real Podman session against the scripted Messages API stand-in). Set-up is skipped: the
/// test run has set the machine up; the agent and proxy images are the CLI's (PAUDE_AGENT_IMAGE / PAUDE_PROXY_IMAGE
/// pass through when set).
/// </summary>
[Collection("podman")]
public sealed class DemoScriptTests
{
    [Fact]
    public async Task Demo_script_has_the_real_Claude_Code_commit_through_the_stand_in_and_leaves_nothing()
    {
        var name = TestRun.NewSessionName("demo");
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot.Path };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "scripts", "demo.sh"));
        start.Environment["PAUDE_CLI"] = PaudeCli.ScriptPath;
        start.Environment["PAUDE_STANDIN"] = Path.Combine(AppContext.BaseDirectory, "paude-standin.dll");
        start.Environment["PAUDE_DEMO_NAME"] = name;
        start.Environment["PAUDE_DEMO_SKIP_SETUP"] = "1";
        start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";

        var run = await PaudeCli.RunAsync(start, stdin: null, TimeSpan.FromMinutes(5));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"DEMO OK: session {name}", run.Stdout, StringComparison.Ordinal);
        // The agent's own commit (the stand-in's script: hello.txt), by Claude Code, came back on paude/<session>.
        Assert.Contains("Claude Code: Add hello.txt (written by Claude Code)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("agent 'paude-agent-claude' exited with code 0", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("all with the delivered key: yes", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name));
        Assert.Empty(await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.demo={name}"));
        Assert.Empty(await Podman.LinesAsync("network", "ls", "-q", "--filter", $"label=paude.demo={name}"));
    }
}
