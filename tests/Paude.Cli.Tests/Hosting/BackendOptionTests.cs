using Paude.Cli.Hosting;
using Paude.Cli.Output;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Hosting;

/// <summary>The global backend options: cluster options are refused on podman for every command, and bad ones are named.</summary>
public sealed class BackendOptionTests
{
    public static TheoryData<string[]> EveryCommand() => new()
    {
        { ["create", "x", "--workspace", "/tmp", "--agent-command", "true"] }, { ["start", "x"] }, { ["stop", "x"] }, { ["delete", "x"] },
        { ["list"] }, { ["status", "x"] }, { ["exec", "x", "--", "true"] }, { ["connect", "x"] }, { ["allowed-domains", "x"] },
        { ["blocked-domains", "x"] }, { ["upload", "x", "/tmp"] }, { ["download", "x", "/tmp/paude-cli-never"] }, { ["sync", "x"] },
        { ["credentials", "list"] },
    };

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public async Task Every_command_accepts_the_cluster_options_and_refuses_them_on_podman_with_exit_2(string[] command)
    {
        var name = TestRun.NewSessionName("refused");
        // After the command name (before exec's "--", after which everything belongs to the command in the session).
        string[] args = [command[0], "--namespace", "team", "--context", "ctx", "-o", "json", .. command.Skip(1).Select(a => a == "x" ? name : a)];

        var run = await PaudeCli.RunAsync(args);

        Assert.True(run.ExitCode == 2, run.ToString());
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-input", error.GetProperty("kind").GetString());
        Assert.Equal(
            "--context, --namespace apply only to the openshift backend, but the backend is 'podman' (add --backend openshift or set PAUDE_BACKEND=openshift)",
            error.GetProperty("message").GetString());
        Assert.Equal(string.Empty, run.Stdout);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name)); // refused before anything was created
    }

    [Fact]
    public async Task Explicit_podman_with_a_kubeconfig_is_refused_in_human_output_too()
    {
        var run = await PaudeCli.RunAsync("list", "--backend", "podman", "--kubeconfig", "/nonexistent");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("paude: error: --kubeconfig applies only to the openshift backend, but the backend is 'podman' (add --backend openshift or set PAUDE_BACKEND=openshift)\n", run.Stderr);
    }

    [Fact]
    public async Task Invalid_openshift_options_are_listed_together_with_exit_2()
    {
        var run = await PaudeCli.RunAsync("list", "--backend", "openshift", "--kubeconfig", "/nonexistent/kubeconfig", "--namespace", "Not_A_Label", "-o", "json");

        Assert.Equal(2, run.ExitCode);
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-options", error.GetProperty("kind").GetString());
        Assert.Equal(
            ["KubeconfigPath: the file '/nonexistent/kubeconfig' does not exist", "Namespace: 'Not_A_Label' is not a DNS-1123 label"],
            error.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task An_unknown_backend_is_a_usage_error_naming_the_registered_ones()
    {
        var run = await PaudeCli.RunAsync("list", "--backend", "nomad");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("registered: podman, openshift", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void PAUDE_BACKEND_is_the_default_and_the_option_wins_over_it()
    {
        var env = new Dictionary<string, string?> { ["PAUDE_BACKEND"] = "openshift" };

        var fromEnv = BackendSelection.Resolve(null, "relative/config", null, "team", k => env.GetValueOrDefault(k));
        var fromOption = BackendSelection.Resolve("podman", null, null, null, k => env.GetValueOrDefault(k));
        var unset = BackendSelection.Resolve(null, null, null, null, _ => null);

        Assert.Equal(new BackendSelection("openshift", Path.GetFullPath("relative/config"), null, "team"), fromEnv);
        Assert.Equal("podman", fromOption.Backend);
        Assert.Equal("podman", unset.Backend);
        Assert.Throws<CliUsageException>(() => BackendSelection.Resolve("podman", null, "ctx", null, k => env.GetValueOrDefault(k)));
    }
}
