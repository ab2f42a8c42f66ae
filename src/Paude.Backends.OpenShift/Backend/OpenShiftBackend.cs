using System.Net;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Attach;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Egress;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Forward;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Objects;
using Paude.Backends.OpenShift.Resilience;
using Paude.Credentials;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Forwarding;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>
/// The OpenShift/Kubernetes session backend on KubernetesClient: per session a StatefulSet with a workspace PVC,
/// a headless Service, the proxy Deployment + Service + ConfigMap and two NetworkPolicies, all labelled
/// <c>app=paude</c> + <c>paude.io/session-name</c>. The labels and annotations are the persisted session config.
/// </summary>
internal sealed partial class OpenShiftBackend : ISessionBackend, IDisposable
{
    private readonly KubeApi _api;
    private readonly OpenShiftBackendOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ICredentialPackager? _credentials;
    private readonly PodWaiter _waiter;
    private readonly PodExec _exec;
    private readonly SessionObjectStore _objects;
    private readonly OpenShiftSessionReader _reader;
    private readonly CredentialDelivery _credentialDelivery;
    private readonly AgentChannel _channel;
    private readonly OpenShiftEgress _egress;
    private readonly OpenShiftAttach _attach;
    private readonly OpenShiftPortForwarder _forwarder;
    private readonly IDisposable? _ownedClient;

    internal OpenShiftBackend(string name, IKubernetes client, string ns, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger, ICredentialPackager? credentials, IDisposable? ownedClient = null)
    {
        Name = name;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _credentials = credentials;
        _ownedClient = ownedClient;
        var pipeline = KubeResilience.Build(options, timeProvider);
        _api = new KubeApi(client, ns, pipeline);
        _waiter = new PodWaiter(_api, options, timeProvider, logger);
        _exec = new PodExec(client, ns, pipeline);
        _objects = new SessionObjectStore(_api, options.DeleteTimeout, timeProvider);
        _reader = new OpenShiftSessionReader(_api, name);
        _credentialDelivery = new CredentialDelivery(_api, credentials, options, timeProvider, logger);
        _channel = new AgentChannel(_api, _exec, _reader);
        _egress = new OpenShiftEgress(_api, _exec, _reader, _objects, _waiter, new ProxyListening(_api, _exec, options, timeProvider), options, logger);
        _attach = new OpenShiftAttach(_exec, _channel);
        _forwarder = new OpenShiftPortForwarder(_api, _channel, logger);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The namespace sessions live in.</summary>
    internal string Namespace => _api.Namespace;

    /// <summary>Builds the client from the options (kubeconfig, context, in-cluster) and the backend on top.</summary>
    internal static OpenShiftBackend Create(string name, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger, ICredentialPackager? credentials)
    {
        var (config, ns) = ClusterConnection.Load(name, options);
        var client = new Kubernetes(config);
        return new OpenShiftBackend(name, client, ns, options, timeProvider, logger, credentials, client);
    }

    /// <inheritdoc />
    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<string> errors = [.. SessionSpecValidation.Errors(spec, _credentials), .. SessionPlacement.SpecErrors(spec)];
        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }

        var name = spec.ResolveName();
        await EnsureNamespaceAsync(cancellationToken).ConfigureAwait(false);
        if (await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new SessionAlreadyExistsException(name, Name);
        }

        Log.Creating(_logger, name, Namespace);
        var input = SessionManifestInput.From(spec, name, Namespace, _options, _timeProvider.GetUtcNow());
        var created = new List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)>();
        try
        {
            // Credentials first: a packaging refusal (e.g. an outside link) then has only these Secrets to undo.
            var credentialParts = await _credentialDelivery.CreateAsync(name, spec.Credentials, created, cancellationToken).ConfigureAwait(false);
            var context = new SessionObjectContext(input, _options, credentialParts, ProxyManifests.ConfigData(input.Egress));
            await _objects.CreateAsync(context, created, cancellationToken).ConfigureAwait(false);
            await _waiter.WaitRunningAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectExistsException e)
        {
            // Expected (a concurrent create of the same name won): one quiet line, no stack, no rollback warning.
            Log.AlreadyExists(_logger, name, e.What);
            if (created.Count > 0)
            {
                // Only what this call made goes; the objects in the way carry the same labels, so no wait for "all gone".
                await RollBackAsync(name, created, waitAllGone: false).ConfigureAwait(false);
            }

            throw new SessionAlreadyExistsException(name, Name);
        }
        catch (Exception e)
        {
            Log.RollingBack(_logger, e, name);
            await RollBackAsync(name, created).ConfigureAwait(false);
            throw;
        }

        return await GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private async Task RollBackAsync(SessionName name, List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)> created, bool waitAllGone = true)
    {
        // Not the caller's token: a cancelled create must still clean up. Bounded by the delete timeout.
        using var timeout = new CancellationTokenSource(_options.DeleteTimeout, _timeProvider);
        for (var i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                await _api.DeleteAsync(created[i].What, created[i].Delete, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is PaudeException or OperationCanceledException)
            {
                Log.RollbackFailed(_logger, e, name);
            }
        }

        if (!waitAllGone)
        {
            return;
        }

        try
        {
            await _objects.WaitAllGoneAsync(name, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PaudeException or OperationCanceledException)
        {
            Log.RollbackFailed(_logger, e, name);
        }
    }

    private async Task EnsureNamespaceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _api.CallAsync("read namespace", (c, ct) => c.CoreV1.ReadNamespaceAsync(Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (BackendOperationException e) when (e.InnerException is k8s.Autorest.HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            throw new InvalidOptionsException("OpenShift backend options", [$"Namespace: '{Namespace}' does not exist; Paude never creates namespaces (create it or pick another)"]);
        }
        catch (BackendOperationException e) when (e.InnerException is k8s.Autorest.HttpOperationException { Response.StatusCode: HttpStatusCode.Forbidden })
        {
            // Project users on OpenShift may not read Namespace objects; creating the first object will tell.
        }
    }

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
    public void Dispose() => _ownedClient?.Dispose();
}
