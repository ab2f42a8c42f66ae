using System.Diagnostics;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary>
/// scripts/cluster-smoke.sh (what a user runs against their own cluster) run against paude-test-server, so the
/// script and the README's instructions stay true. Not in the "podman" collection: it uses no shared session (its own
/// test server, namespace and session name), and that collection was the assembly's tall pole (125 s of the 135 s
/// wall in CI, 20 s of it these two tests), so they run beside it.
/// </summary>
public sealed class ClusterSmokeScriptTests
{
    // The allowed domain is one that cannot resolve: the proxy lets the request through its policy and answers with
    // its own error, so the check needs no traffic leaving this machine.
    private const string Allowed = "smoke.paude.invalid http://smoke.paude.invalid/";

    [Fact]
    public async Task Smoke_script_passes_every_step_against_the_test_server_and_leaves_nothing()
    {
        await using var server = await TestServerProcess.StartAsync("--namespace", "smoke");
        var name = TestRun.NewSessionName("smoke");

        var run = await RunScriptAsync(server, name, "--kubeconfig", server.KubeconfigPath, "--namespace", server.Namespace);

        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var step in (string[])["create", "exec", "egress denied", "egress allowed", "credentials", "sync back", "delete", "nothing left"])
        {
            Assert.Contains($"PASS {step}", run.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("FAIL", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"SMOKE PASSED (session {name})", run.Stdout, StringComparison.Ordinal);
        var pods = await server.KubectlAsync(null, "get", "pods", "-n", server.Namespace, "-o", "name");
        Assert.Equal((0, string.Empty), (pods.ExitCode, pods.Stdout.Trim()));
        var (exitCode, output) = await server.InterruptAsync();
        Assert.True(exitCode == 0, output);
        Assert.Empty(await server.LeftoversAsync());
    }

    [Fact]
    public async Task Smoke_script_reports_FAIL_and_exits_non_zero_when_the_backend_cannot_work()
    {
        await using var server = await TestServerProcess.StartAsync("--namespace", "smoke");
        var name = TestRun.NewSessionName("smokefail");

        var run = await RunScriptAsync(server, name, "--kubeconfig", server.KubeconfigPath, "--namespace", "no-such-namespace");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FAIL create:", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"SMOKE FAILED (session {name})", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("PASS", run.Stdout, StringComparison.Ordinal);
    }

    private static Task<CliRun> RunScriptAsync(TestServerProcess server, string name, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot.Path };
        foreach (var arg in (string[])[Path.Combine(RepositoryRoot.Path, "scripts", "cluster-smoke.sh"), .. args])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["PAUDE_CLI"] = PaudeCli.ScriptPath;
        start.Environment["PAUDE_SMOKE_NAME"] = name;
        start.Environment["PAUDE_SMOKE_ALLOWED"] = Allowed;
        start.Environment["KUBECONFIG"] = server.KubeconfigPath;
        return PaudeCli.RunAsync(start, stdin: null, TimeSpan.FromMinutes(4));
    }
}
