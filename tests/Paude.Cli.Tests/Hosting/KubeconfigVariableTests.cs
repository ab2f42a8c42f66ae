using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Hosting;

/// <summary>
/// <c>--backend openshift</c> without <c>--kubeconfig</c> finds the cluster as kubectl does: through <c>$KUBECONFIG</c>
/// (a list; missing entries skipped), not only <c>~/.kube/config</c> (a user with KUBECONFIG set used to get
/// "kubeconfig file not found at ~/.kube/config"). Real CLI process, the Kubernetes test server.
/// </summary>
[Collection("openshift")]
public sealed class KubeconfigVariableTests(KubeServerFixture cluster) : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("paude-cli-home-").FullName;

    public void Dispose() => Directory.Delete(_home, recursive: true);

    [Fact]
    public async Task List_uses_the_kubeconfig_named_by_the_KUBECONFIG_list()
    {
        var missing = Path.Combine(_home, "missing-config");
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = _home, // no ~/.kube/config here
            ["KUBECONFIG"] = string.Join(Path.PathSeparator, missing, cluster.Server.KubeconfigPath),
        };

        var run = await PaudeCli.RunProcessAsync(null, environment, "list", "--backend", "openshift", "--namespace", KubeServerFixture.Namespace, "-o", "json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, run.Json().GetProperty("sessions").ValueKind);
    }

    [Fact]
    public async Task Without_any_kubeconfig_the_error_names_the_paths_looked_at()
    {
        var environment = new Dictionary<string, string> { ["HOME"] = _home, ["KUBECONFIG"] = Path.Combine(_home, "nope") };

        var run = await PaudeCli.RunProcessAsync(null, environment, "list", "--backend", "openshift", "--namespace", KubeServerFixture.Namespace);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(Path.Combine(_home, "nope"), run.Stderr, StringComparison.Ordinal);
    }
}
