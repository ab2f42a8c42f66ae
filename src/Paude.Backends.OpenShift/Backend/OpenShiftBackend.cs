using k8s;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Attach;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Egress;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Forward;
using Paude.Backends.OpenShift.Leases;
using Paude.Backends.OpenShift.Objects;
using Paude.Backends.OpenShift.Resilience;
using Paude.Credentials;
using Paude.Egress;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>
/// The OpenShift/Kubernetes session backend on KubernetesClient: per session a StatefulSet with a workspace PVC,
/// a headless Service, the proxy Deployment + Service + ConfigMap and two NetworkPolicies, all labelled
/// <c>app=paude</c> + <c>paude.io/session-name</c>. The labels and annotations are the persisted session config.
/// A facade: each call goes to the collaborator with that one job — create <see cref="OpenShiftProvisioner"/>,
/// start/stop/delete <see cref="OpenShiftLifecycle"/>, listing and state <see cref="OpenShiftSessionReader"/>, exec and
/// files <see cref="AgentChannel"/>, egress <see cref="OpenShiftEgress"/>, attach <see cref="OpenShiftAttach"/>, port
/// forwarding <see cref="OpenShiftPortForwarder"/>, upgrade <see cref="OpenShiftUpgrader"/>, the cluster-wide sync
/// exclusion <see cref="SessionSyncLeases"/>.
/// </summary>
internal sealed class OpenShiftBackend : ISessionBackend, ISessionSyncExclusion, IDisposable
{
    private readonly KubeApi _api;
    private readonly OpenShiftBackendOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly PodWaiter _waiter;
    private readonly OpenShiftSessionReader _reader;
    private readonly OpenShiftProvisioner _provisioner;
    private readonly OpenShiftLifecycle _lifecycle;
    private readonly AgentChannel _channel;
    private readonly OpenShiftEgress _egress;
    private readonly OpenShiftAttach _attach;
    private readonly OpenShiftPortForwarder _forwarder;
    private readonly SessionSyncLeases _leases;
    private readonly IDisposable? _ownedClient;

    internal OpenShiftBackend(string name, IKubernetes client, string ns, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger, ICredentialPackager? credentials, IDisposable? ownedClient = null)
    {
        Name = name;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _ownedClient = ownedClient;
        var pipeline = KubeResilience.Build(options, timeProvider);
        _api = new KubeApi(client, ns, pipeline);
        _waiter = new PodWaiter(_api, options, timeProvider, logger);
        _reader = new OpenShiftSessionReader(_api, name, options.AgentResources);
        var exec = new PodExec(client, ns, pipeline);
        var objects = new SessionObjectStore(_api, options.DeleteTimeout, timeProvider);
        var delivery = new CredentialDelivery(_api, credentials, options, timeProvider, logger);
        _provisioner = new OpenShiftProvisioner(name, _api, _reader, objects, delivery, credentials, _waiter, options, timeProvider, logger);
        _lifecycle = new OpenShiftLifecycle(name, _api, _reader, objects, delivery, _waiter, options, logger);
        _channel = new AgentChannel(_api, exec, _reader);
        _egress = new OpenShiftEgress(_api, exec, _reader, objects, _waiter, new ProxyListening(_api, exec, options, timeProvider), options, logger);
        _attach = new OpenShiftAttach(exec, _channel);
        _forwarder = new OpenShiftPortForwarder(_api, _channel, logger);
        _leases = new SessionSyncLeases(name, new SyncLeaseApi(_api), options.SyncLeaseDuration, timeProvider, logger);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Builds the client from the options (kubeconfig, context, in-cluster) and the backend on top.</summary>
    internal static OpenShiftBackend Create(string name, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger, ICredentialPackager? credentials)
    {
        var (config, ns) = ClusterConnection.Load(name, options);
        var client = new Kubernetes(config);
        return new OpenShiftBackend(name, client, ns, options, timeProvider, logger, credentials, client);
    }

    /// <inheritdoc />
    public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default) => _provisioner.CreateAsync(spec, cancellationToken);

    /// <inheritdoc />
    public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.StartAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.StopAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.DeleteAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => _reader.GetAsync(name, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => _reader.ListAsync(cancellationToken);

    /// <inheritdoc />
    public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default) => _channel.StartProcessAsync(name, spec, cancellationToken);

    /// <inheritdoc />
    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default) =>
        _channel.UploadAsync(name, containerDirectory, tarArchive, cancellationToken);

    /// <inheritdoc />
    public Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default) =>
        _channel.DownloadAsync(name, containerDirectory, readArchive, cancellationToken);

    /// <inheritdoc />
    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetPolicyAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default) => _egress.SetPolicyAsync(name, policy, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetBlockedRequestsAsync(name, cancellationToken);

    /// <inheritdoc />
    public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default) =>
        _attach.AttachAsync(name, OpenShiftAttach.AttachCommand, terminal, cancellationToken);

    /// <summary>Runs <paramref name="command"/> instead of the attach entry point (tests: a command that shows the terminal).</summary>
    internal Task<int> AttachAsync(SessionName name, IReadOnlyList<string> command, IAttachTerminal terminal, CancellationToken cancellationToken) =>
        _attach.AttachAsync(name, command, terminal, cancellationToken);

    /// <inheritdoc />
    public Task<IPortForward> ForwardPortAsync(SessionName name, PortForwardSpec spec, CancellationToken cancellationToken = default) =>
        _forwarder.ForwardPortAsync(name, spec, cancellationToken);

    /// <inheritdoc />
    public Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken = default) =>
        new OpenShiftUpgrader(this, _api, new WorkspaceGrowth(_api), _leases, _options, _timeProvider, _logger).UpgradeAsync(name, upgrade, cancellationToken);

    /// <inheritdoc />
    public Task<IAsyncDisposable> HoldForSyncAsync(SessionName name, TimeSpan wait, CancellationToken cancellationToken = default) =>
        _leases.HoldForSyncAsync(name, wait, cancellationToken);

    /// <summary>The holder identity this instance writes into the session's sync Lease (tests compare it).</summary>
    internal string SyncLeaseHolder => _leases.Identity;

    /// <inheritdoc />
    public void Dispose() => _ownedClient?.Dispose();
}
