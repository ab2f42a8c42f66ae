using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Egress;
using Paude.Sessions;
using Paude.Sync;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Infrastructure;

/// <summary>
/// One in-process Kubernetes test server (restricted-v2 admission on, pods are real Podman containers) and the
/// OpenShift backend built through DI against its kubeconfig. Every Podman resource carries
/// <c>paude.test=&lt;run id&gt;</c>; disposing the server removes all of them.
/// </summary>
public sealed class KubeServerFixture : IAsyncLifetime
{
    public const string Namespace = "paude-sessions";

    private readonly List<ServiceProvider> _services = [];

    public string RunId { get; } = "os" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public KubernetesTestServer Server { get; private set; } = null!;

    public ISessionBackend Backend { get; private set; } = null!;

    /// <summary>Paude.Sync over <see cref="Backend"/> (the sync works through the session contract only).</summary>
    public ISessionSync Sync { get; private set; } = null!;

    /// <summary>Continuous (two-way) sync over <see cref="Backend"/>.</summary>
    public IContinuousSync Continuous { get; private set; } = null!;

    /// <summary><c>PAUDE_TEST_AGENT_IMAGE</c> (an image built from this tree under another tag), else what setup.sh builds.</summary>
    public static string AgentImage { get; } = Environment.GetEnvironmentVariable("PAUDE_TEST_AGENT_IMAGE") is { Length: > 0 } i ? i : "localhost/paude-agent:latest";

    public static readonly IReadOnlyList<string> AgentStandIn = ["bash", "-c", "echo started > /tmp/agent-started; exec sleep infinity"];

    /// <summary>The private registry the server plays: its images need a pull secret with these credentials.</summary>
    public TestRegistry Registry { get; } = new("registry.paude.test:5000", "puller", "pw-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));

    public SessionName NewName(string purpose) => SessionName.Parse($"{RunId}-{purpose}");

    public SessionSpec Spec(SessionName name) => new() { Name = name, AgentCommand = AgentStandIn, Egress = EgressPolicy.Parse(["allowed.paude.test"]) };

    public async Task InitializeAsync()
    {
        Server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default", Namespace],
            OpenShiftRestricted = true,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = RunId },
            PrivateRegistry = Registry,
        });
        var sp = Build(o => { }, withSync: true);
        Backend = sp.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        Sync = sp.GetRequiredService<ISessionSync>();
        Continuous = sp.GetRequiredService<IContinuousSync>();
    }

    public ISessionBackend BuildBackend(Action<OpenShiftBackendOptions> configure) =>
        Build(configure, withSync: false).GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");

    private ServiceProvider Build(Action<OpenShiftBackendOptions> configure, bool withSync)
    {
        var services = new ServiceCollection();
        var paude = services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = Server.KubeconfigPath;
            o.Namespace = Namespace;
            o.ReadyTimeout = TimeSpan.FromMinutes(3);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 10;
            o.AgentImage = AgentImage;
            configure(o);
        });
        if (withSync)
        {
            paude.AddPaudeSync();
        }

        var sp = services.BuildServiceProvider();
        lock (_services)
        {
            _services.Add(sp);
        }

        return sp;
    }

    /// <summary>Runs the real kubectl against the server and returns its stdout.</summary>
    public Task<string> KubectlAsync(params string[] args) => KubectlAsync(Server, args);

    /// <summary>Runs the real kubectl against <paramref name="server"/> (a test's own server) in the session namespace; returns its stdout.</summary>
    public static async Task<string> KubectlAsync(KubernetesTestServer server, params string[] args)
    {
        var psi = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["--kubeconfig", server.KubeconfigPath, "-n", Namespace, .. args])
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(process.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {await stderr}");
        return await stdout;
    }

    /// <summary>Kind/name of every object kubectl lists for the session.</summary>
    public async Task<List<string>> SessionObjectsAsync(SessionName name)
    {
        var output = await KubectlAsync("get", "statefulset,pod,pvc,svc,networkpolicy,secret,deployment,configmap,lease", "-l", $"paude.io/session-name={name.Value}", "-o", "name");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal)];
    }

    public async Task DisposeAsync()
    {
        foreach (var sp in _services)
        {
            await sp.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}
