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
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot() };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "scripts", "demo.sh"));
        start.Environment["PAUDE_CLI"] = PaudeCli.AssemblyPath;
        start.Environment["PAUDE_DEMO_NAME"] = name;
        start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";

        var run = await PaudeCli.RunAsync(start, stdin: null, TimeSpan.FromMinutes(10));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"DEMO OK: session {name}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Agent: add AGENT.md", run.Stdout, StringComparison.Ordinal);
        Assert.Empty(TestRun.PodmanLeftovers(name));
    }

    private static string RepositoryRoot() =>
        FindUp(AppContext.BaseDirectory) ?? FindUp(Directory.GetCurrentDirectory())
        ?? throw new InvalidOperationException("Cannot find the repository root (Paude.sln) above the test assembly.");

    // Walk up from the test assembly: source paths are mapped to /_/ in CI builds, so [CallerFilePath] cannot be used.
    private static string? FindUp(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Paude.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
