using System.Text;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Hosting;

/// <summary>
/// The build users get (samples/Paude.Cli/build.sh): NativeAOT without the openshift backend compiled in, handing an
/// openshift command over to the managed build beside it.
/// </summary>
public sealed class NativeBuildTests(NativeCliFixture cli) : IClassFixture<NativeCliFixture>
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public async Task Native_binary_compiles_in_no_KubernetesClient_code_and_the_managed_build_has_it()
    {
        var image = await File.ReadAllBytesAsync(cli.Binary);

        // The binary keeps the names of what it compiled in (stack traces): Podman's are there, KubernetesClient's not.
        Assert.True(Contains(image, "Paude.Backends.Podman"), "control: the native image names the podman backend's types");
        Assert.False(Contains(image, "k8s.Models"), "KubernetesClient models compiled into the native binary");
        Assert.False(Contains(image, "KubernetesClient"), "KubernetesClient compiled into the native binary");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(cli.Binary)!, "managed", "KubernetesClient.dll")));
    }

    [Fact]
    public async Task An_openshift_command_runs_in_the_managed_build_with_the_same_arguments()
    {
        var run = await cli.RunAsync(NoEnvironment, "list", "--backend", "openshift", "--kubeconfig", "/nonexistent/kubeconfig", "--namespace", "Not_A_Label", "-o", "json");

        // Only the openshift backend's own validation knows these: the managed build ran, with every argument.
        Assert.True(run.ExitCode == 2, run.ToString());
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-options", error.GetProperty("kind").GetString());
        Assert.Equal(
            ["KubeconfigPath: the file '/nonexistent/kubeconfig' does not exist", "Namespace: 'Not_A_Label' is not a DNS-1123 label"],
            error.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(string.Empty, run.Stdout);
    }

    [Fact]
    public async Task PAUDE_BACKEND_openshift_is_handed_over_too_and_an_unknown_backend_lists_both()
    {
        var fromEnv = await cli.RunAsync(new Dictionary<string, string> { ["PAUDE_BACKEND"] = "openshift" }, "status", "x", "--namespace", "Bad_Ns");
        var unknown = await cli.RunAsync(NoEnvironment, "list", "--backend", "nomad");

        Assert.True(fromEnv.ExitCode == 2, fromEnv.ToString());
        Assert.Contains("Namespace: 'Bad_Ns' is not a DNS-1123 label", fromEnv.Stderr, StringComparison.Ordinal);
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("registered: podman, openshift", unknown.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sync_reads_the_local_repository_in_the_managed_build()
    {
        // LibGit2Sharp does not find a repository under NativeAOT (the demo's sync said "not a git repository").
        var repo = TestRun.NewGitWorkspace("native-sync");
        try
        {
            var run = await cli.RunAsync(NoEnvironment, "sync", TestRun.NewSessionName("never"), "--workspace", repo, "--direction", "from", "--strategy", "branch", "-o", "json");

            // Past the repository check: the session is what is missing.
            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Equal("session-not-found", run.ErrorJson().GetProperty("error").GetProperty("kind").GetString());
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [Fact]
    public async Task A_missing_managed_build_is_backend_unavailable_naming_where_it_was_looked_for()
    {
        var run = await cli.RunAsync(new Dictionary<string, string> { ["PAUDE_CLI_MANAGED"] = "/nonexistent/managed/paude" }, "list", "--backend", "openshift", "-o", "json");

        Assert.True(run.ExitCode == 5, run.ToString());
        var error = run.ErrorJson().GetProperty("error");
        Assert.Equal("backend-unavailable", error.GetProperty("kind").GetString());
        Assert.Contains("/nonexistent/managed/paude", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_is_the_same_in_both_builds()
    {
        var native = await cli.RunAsync(NoEnvironment, "--help");
        var managed = await PaudeCli.RunAsync(new System.Diagnostics.ProcessStartInfo(Path.Combine(Path.GetDirectoryName(cli.Binary)!, "managed", "paude")) { ArgumentList = { "--help" } }, stdin: null);

        Assert.Equal(0, native.ExitCode);
        Assert.Contains("port-forward", native.Stdout, StringComparison.Ordinal);
        Assert.Equal(managed.Stdout, native.Stdout);
    }

    private static bool Contains(byte[] image, string text) =>
        image.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0 || image.AsSpan().IndexOf(Encoding.Unicode.GetBytes(text)) >= 0;
}
