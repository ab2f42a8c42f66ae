using System.Diagnostics;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary>The README's main job: scripts/demo.sh end to end (with the CLI these tests were built with).</summary>
[Collection("podman")]
public sealed class DemoScriptTests
{
    [Fact]
    public async Task Demo_script_runs_the_main_job_end_to_end_and_leaves_nothing()
    {
        var name = TestRun.NewSessionName("demo");
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot.Path };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "scripts", "demo.sh"));
        start.Environment["PAUDE_CLI"] = PaudeCli.AssemblyPath;
        start.Environment["PAUDE_DEMO_NAME"] = name;
        start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";

        var run = await PaudeCli.RunAsync(start, stdin: null, TimeSpan.FromMinutes(10));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"DEMO OK: session {name}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Agent: add AGENT.md", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name));
    }
}
