using Paude.Cli.Hosting;
using Paude.Cli.Output;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Hosting;

/// <summary>
/// <c>--in-cluster</c> on every command: refused on podman and together with <c>--kubeconfig</c>/<c>--context</c>
/// (exit 2, naming the conflict), and a typed backend-unavailable error (exit 5) outside a pod with a service account.
/// </summary>
public sealed class InClusterOptionTests
{
    private const string TokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    public static TheoryData<string[]> EveryCommand() => BackendOptionTests.EveryCommand();

    /// <summary>Every command that talks to the backend (credentials list only reads the host).</summary>
    public static TheoryData<string[]> EveryBackendCommand()
    {
        var commands = new TheoryData<string[]>();
        foreach (var row in BackendOptionTests.EveryCommand())
        {
            if (row is string[] command && command[0] != "credentials")
            {
                commands.Add(command);
            }
        }

        return commands;
    }

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public async Task In_cluster_with_a_kubeconfig_or_a_context_is_refused_naming_the_conflict_with_exit_2(string[] command)
    {
        var name = TestRun.NewSessionName("incl");
        string[] rest = [.. command.Skip(1).Select(a => a == "x" ? name : a)];

        var both = await PaudeCli.RunAsync([command[0], "--backend", "openshift", "--in-cluster", "--kubeconfig", "/tmp/kubeconfig", "--context", "ctx", "-o", "json", .. rest]);
        var context = await PaudeCli.RunAsync([command[0], "--backend", "openshift", "--in-cluster", "--context", "ctx", .. rest]);

        Assert.True(both.ExitCode == 2, both.ToString());
        var error = both.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-input", error.GetProperty("kind").GetString());
        Assert.Equal(
            "--in-cluster cannot be combined with --kubeconfig or --context: in-cluster mode connects with the pod's service account, not a kubeconfig (drop one of them)",
            error.GetProperty("message").GetString());
        Assert.Equal(string.Empty, both.Stdout);
        Assert.Equal(2, context.ExitCode);
        Assert.StartsWith("paude: error: --in-cluster cannot be combined with --context:", context.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public async Task In_cluster_on_podman_is_refused_with_exit_2_and_nothing_created(string[] command)
    {
        var name = TestRun.NewSessionName("inclp");

        var run = await PaudeCli.RunAsync([command[0], "--in-cluster", "--backend", "podman", .. command.Skip(1).Select(a => a == "x" ? name : a)]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            "paude: error: --in-cluster applies only to the openshift backend, but the backend is 'podman' (add --backend openshift or set PAUDE_BACKEND=openshift)\n",
            run.Stderr);
        Assert.Empty(await TestRun.PodmanLeftoversAsync(name));
    }

    [Theory]
    [MemberData(nameof(EveryBackendCommand))]
    public async Task In_cluster_outside_a_pod_is_backend_unavailable_with_exit_5(string[] command)
    {
        // This machine is no pod: the precondition is checked, never assumed (a pod would make the test meaningless).
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")), "the tests run inside a pod");
        Assert.False(File.Exists(TokenFile), "the tests run with a service account token");
        var name = TestRun.NewSessionName("inclx");

        var run = await PaudeCli.RunAsync([command[0], "--backend", "openshift", "--in-cluster", "-o", "json", .. command.Skip(1).Select(a => a == "x" ? name : a)]);

        Assert.True(run.ExitCode == 5, run.ToString());
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("backend-unavailable", error.GetProperty("kind").GetString());
        var message = error.GetProperty("message").GetString()!;
        Assert.StartsWith("Backend 'openshift' is unavailable: in-cluster service account — this process does not run in a pod with a service account", message, StringComparison.Ordinal);
        Assert.Contains("KUBERNETES_SERVICE_HOST", message, StringComparison.Ordinal);
        Assert.Contains(TokenFile, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Service_variables_without_a_token_file_are_still_backend_unavailable_in_a_real_process()
    {
        Assert.False(File.Exists(TokenFile), "the tests run with a service account token");
        var environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "10.0.0.1", ["KUBERNETES_SERVICE_PORT"] = "443" };

        var run = await PaudeCli.RunProcessAsync(null, environment, "list", "--backend", "openshift", "--in-cluster");

        Assert.Equal(5, run.ExitCode);
        Assert.StartsWith("paude: error: Backend 'openshift' is unavailable: in-cluster service account", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_selection_carries_in_cluster_into_the_backend_options()
    {
        var selection = BackendSelection.Resolve("openshift", null, null, "team", _ => null, inCluster: true);
        var options = new Paude.Backends.OpenShift.OpenShiftBackendOptions();

        CliServices.ApplyCluster(options, selection, _ => null);

        Assert.Equal((true, "team", null), (options.InCluster, options.Namespace, options.KubeconfigPath));
        Assert.Empty(options.GetErrors());
        Assert.Throws<CliUsageException>(() => BackendSelection.Resolve(null, "k", null, null, _ => "openshift", inCluster: true));
    }
}
