using Microsoft.Extensions.DependencyInjection;
using Paude.Benchmarks.Podman;
using Paude.DependencyInjection;
using Paude.Egress;
using Paude.Sessions;
using Paude.Testing.Kubernetes;

namespace Paude.Benchmarks.OpenShift;

/// <summary>
/// One in-process Kubernetes test server (restricted-v2; pods are real Podman containers labelled with the run id)
/// with the SDK's openshift backend and the real kubectl pointed at it. Disposing removes every Podman resource the
/// server made.
/// </summary>
internal sealed class BenchCluster : IAsyncDisposable
{
    public const string Namespace = "paude-bench";

    /// <summary>The agent container's name in the session pod (the backend's manifests).</summary>
    public const string AgentContainer = "paude";

    private BenchCluster(KubernetesTestServer server, ServiceProvider services, string runId)
    {
        Server = server;
        Services = services;
        RunId = runId;
        Backend = services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
    }

    public KubernetesTestServer Server { get; }

    public ServiceProvider Services { get; }

    public ISessionBackend Backend { get; }

    public string RunId { get; }

    public static async Task<BenchCluster> StartAsync(string prefix, CancellationToken cancellationToken)
    {
        var runId = BenchPodman.NewRunId(prefix);
        var server = await KubernetesTestServer.StartAsync(
            new KubernetesTestServerOptions
            {
                Namespaces = ["default", Namespace],
                OpenShiftRestricted = true,
                ResourceLabels = new Dictionary<string, string> { ["paude.test"] = runId },
            },
            cancellationToken);
        var services = new ServiceCollection();
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = server.KubeconfigPath;
            o.Namespace = Namespace;
        });
        return new BenchCluster(server, services.BuildServiceProvider(), runId);
    }

    /// <summary>A session spec like the other benchmarks': a sleeping stand-in agent, a one-host allow-list.</summary>
    public static SessionSpec Spec(SessionName name) => new()
    {
        Name = name,
        AgentCommand = ["bash", "-c", "exec sleep infinity"],
        Egress = EgressPolicy.Parse(["allowed.paude.test"]),
    };

    /// <summary>Runs the real kubectl against the server's namespace.</summary>
    public Task<string> KubectlAsync(CancellationToken cancellationToken, params string[] args) =>
        BenchPodman.RunAsync("kubectl", ["--kubeconfig", Server.KubeconfigPath, "-n", Namespace, .. args], ct: cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
