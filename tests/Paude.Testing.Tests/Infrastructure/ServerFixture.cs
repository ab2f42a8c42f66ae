using k8s;
using Paude.Testing.Kubernetes;

namespace Paude.Tests.Infrastructure;

/// <summary>One server per test class (restricted mode off unless a derived fixture says otherwise), torn down with everything it made.</summary>
public class ServerFixture : IAsyncLifetime
{
    public static readonly string RunId = Guid.NewGuid().ToString("N")[..8];

    public KubernetesTestServer Server { get; private set; } = null!;

    public IKubernetes Client { get; private set; } = null!;

    public Kubectl Kubectl { get; private set; } = null!;

    protected virtual bool Restricted => false;

    protected virtual int PodPidsLimit => new KubernetesTestServerOptions().PodPidsLimit;

    protected virtual TestRegistry? PrivateRegistry => null;

    protected virtual TimeSpan PortForwardIdleTimeout => new KubernetesTestServerOptions().PortForwardIdleTimeout;

    protected virtual TimeSpan StreamIdleTimeout => new KubernetesTestServerOptions().StreamIdleTimeout;

    public async Task InitializeAsync()
    {
        Server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default", "paude"],
            OpenShiftRestricted = Restricted,
            PodPidsLimit = PodPidsLimit,
            PrivateRegistry = PrivateRegistry,
            PortForwardIdleTimeout = PortForwardIdleTimeout,
            StreamIdleTimeout = StreamIdleTimeout,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = RunId },
        });
        Client = Server.CreateClient("paude");
        Kubectl = new Kubectl(Server.KubeconfigPath);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>The same server in OpenShift restricted-v2 mode.</summary>
public sealed class RestrictedServerFixture : ServerFixture
{
    protected override bool Restricted => true;
}

/// <summary>Restricted-v2 with a small node pids limit, so a fork bomb is contained quickly and cheaply.</summary>
public sealed class ContainmentServerFixture : ServerFixture
{
    public const int Pids = 64;

    protected override bool Restricted => true;

    protected override int PodPidsLimit => Pids;
}

/// <summary>A server that plays a private registry (<see cref="Registry"/>), so pull secrets are checked.</summary>
public sealed class RegistryServerFixture : ServerFixture
{
    public static readonly TestRegistry Registry = new("registry.paude.test:5000", "puller", "s3cret-" + RunId);

    protected override TestRegistry? PrivateRegistry => Registry;
}

/// <summary>A server whose port-forward sessions end after <see cref="IdleTimeout"/> without a frame.</summary>
public sealed class IdlePortForwardServerFixture : ServerFixture
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(8);

    protected override TimeSpan PortForwardIdleTimeout => IdleTimeout;
}

/// <summary>A server whose exec and port-forward WebSockets end <see cref="IdleTimeout"/> after their client stops answering.</summary>
public sealed class IdleStreamServerFixture : ServerFixture
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(4);

    protected override TimeSpan StreamIdleTimeout => IdleTimeout;
}
