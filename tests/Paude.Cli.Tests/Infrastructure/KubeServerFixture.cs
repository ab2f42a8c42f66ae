using System.Diagnostics;
using Paude.Testing.Kubernetes;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>
/// An in-process Kubernetes test server with OpenShift restricted-v2 admission (pods are real Podman containers,
/// labelled <c>paude.test=&lt;run id&gt;</c>) for driving the CLI's openshift backend. Disposing the server removes
/// every container, volume and network it made, even after a failed test.
/// </summary>
public sealed class KubeServerFixture : IAsyncLifetime
{
    public const string Namespace = "paude-cli";

    public KubernetesTestServer Server { get; private set; } = null!;

    /// <summary>The global options that point the CLI at this server.</summary>
    public string[] ClusterArgs => ["--backend", "openshift", "--kubeconfig", Server.KubeconfigPath, "--namespace", Namespace];

    public async Task InitializeAsync() =>
        Server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default", Namespace],
            OpenShiftRestricted = true,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = TestRun.Id },
            PrivateRegistry = Registry,
        });

    /// <summary>The login of the server's registry (served at <see cref="KubernetesTestServer.RegistryAddress"/>).</summary>
    public static TestRegistry Registry { get; } = new("registry.paude-cli.test:5000", "pusher", "reg-pass-" + TestRun.Id);

    /// <summary>Runs the CLI in-process against this server (global options first: after <c>--</c> they would belong to exec's command).</summary>
    internal Task<CliRun> PaudeAsync(params string[] args) => PaudeCli.RunAsync([.. ClusterArgs, .. args]);

    /// <summary>Runs the real kubectl against this server's namespace and returns its stdout (a failure fails the test).</summary>
    public async Task<string> KubectlAsync(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl");
        foreach (var arg in (string[])["--kubeconfig", Server.KubeconfigPath, "-n", Namespace, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        var run = await PaudeCli.RunAsync(start, stdin: null, TimeSpan.FromMinutes(1));
        Assert.True(run.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {run}");
        return run.Stdout;
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>The tests that drive the openshift backend; one server for all of them (each start costs a network).</summary>
[CollectionDefinition("openshift")]
public sealed class OpenShiftSessions : ICollectionFixture<KubeServerFixture>;
