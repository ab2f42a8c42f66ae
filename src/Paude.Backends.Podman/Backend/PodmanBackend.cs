using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Credentials;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// <see cref="ISessionBackend"/> on local Podman: per session an agent container with no network, an egress proxy
/// container it reaches only through a unix socket, a workspace volume, a socket volume and a proxy config volume. All
/// state lives in the engine (labels), so any process sees the same sessions. This class only composes and delegates;
/// each job is a collaborator of its own:
/// <list type="bullet">
/// <item><see cref="PodmanProvisioner"/>: create (<see cref="PodmanRunArgs"/> the podman arguments, <see cref="Rollback"/> all or nothing);</item>
/// <item><see cref="PodmanLifecycle"/>: start, stop, delete; <see cref="OrphanRepair"/>: re-creating what was removed behind our back;</item>
/// <item><see cref="PodmanExecChannel"/>: processes, tar streams in and out, attach; <see cref="CredentialDelivery"/>: credentials into the session;</item>
/// <item><see cref="ProxyReadiness"/>: waiting until the proxy serves; <see cref="PodmanEgress"/>: the allow-list and blocked requests;</item>
/// <item><see cref="PodmanSessionReader"/>: listing and state; <see cref="PodmanUpgrader"/>: upgrade in place; <see cref="PodmanEngine"/>: podman calls.</item>
/// </list>
/// </summary>
internal sealed class PodmanBackend : ISessionBackend
{
    private readonly PodmanSessionReader _reader;
    private readonly PodmanEgress _egress;
    private readonly PodmanProvisioner _provisioner;
    private readonly PodmanLifecycle _lifecycle;
    private readonly PodmanExecChannel _channel;
    private readonly PodmanUpgrader _upgrader;

    public PodmanBackend(string name, IPodmanClient podman, PodmanBackendOptions options, ICredentialPackager? credentials, TimeProvider time, ILogger logger)
    {
        Name = name;
        var engine = new PodmanEngine(name, podman, time, logger);
        var runArgs = new PodmanRunArgs(options);
        _reader = new PodmanSessionReader(engine, name, options);
        _egress = new PodmanEgress(podman, engine, _reader, runArgs, options, logger);
        _channel = new PodmanExecChannel(podman, engine, _reader);
        var credentialDelivery = new CredentialDelivery(_channel, engine, credentials, logger);
        var readiness = new ProxyReadiness(name, engine, time, logger);
        _provisioner = new PodmanProvisioner(name, engine, runArgs, _egress, credentialDelivery, readiness, options, credentials, time, logger);
        var repair = new OrphanRepair(name, engine, runArgs, _egress, options, logger);
        _lifecycle = new PodmanLifecycle(name, engine, _reader, repair, credentialDelivery, readiness, options, logger);
        _upgrader = new PodmanUpgrader(name, engine, _reader, _lifecycle, _egress, options, logger);
    }

    public string Name { get; }

    public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default) => _provisioner.CreateAsync(spec, cancellationToken);

    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default) => _reader.GetAsync(name, cancellationToken);

    public IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default) => _reader.ListAsync(cancellationToken);

    public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.StartAsync(name, cancellationToken);

    public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.StopAsync(name, cancellationToken);

    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default) => _lifecycle.DeleteAsync(name, cancellationToken);

    public Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken = default) =>
        _upgrader.UpgradeAsync(name, upgrade, cancellationToken);

    public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default) =>
        _channel.StartProcessAsync(name, spec, cancellationToken);

    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default) =>
        _channel.UploadAsync(name, containerDirectory, tarArchive, cancellationToken);

    public Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default) =>
        _channel.DownloadAsync(name, containerDirectory, readArchive, cancellationToken);

    public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default) =>
        _channel.AttachAsync(name, terminal, cancellationToken);

    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetPolicyAsync(name, cancellationToken);

    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default) => _egress.SetPolicyAsync(name, policy, cancellationToken);

    public IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default) => _egress.GetBlockedRequestsAsync(name, cancellationToken);
}
