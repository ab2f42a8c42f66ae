using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Cli;
using Paude.Backends.Podman.Logging;
using Paude.Credentials;
using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// A session's create: validates the spec, then makes the workspace, socket and proxy config volumes and the agent and
/// proxy containers, each as soon as its own inputs exist (<see cref="CreateSteps"/>), delivers the credentials and
/// waits until the proxy serves. All or nothing: a failure, a conflict or the ready timeout rolls back what this
/// create made (<see cref="Rollback"/>), never a resource it found.
/// </summary>
internal sealed class PodmanProvisioner(
    string backendName,
    PodmanEngine engine,
    PodmanRunArgs runArgs,
    PodmanEgress egress,
    CredentialDelivery credentialDelivery,
    ProxyReadiness readiness,
    PodmanBackendOptions options,
    ICredentialPackager? credentials,
    TimeProvider time,
    ILogger logger)
{
    public async Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        List<string> errors = [.. SessionSpecValidation.Errors(spec, credentials), .. PodmanResources.SpecErrors(spec)];
        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }

        var name = spec.ResolveName();
        var names = new PodmanNames(name);
        var config = SessionRecord.FromSpec(spec, time.GetUtcNow(), options.AgentImage, options.ProxyImage, options.DefaultUser);
        Log.Creating(logger, name.Value, backendName);
        var started = Stopwatch.GetTimestamp();

        var rollback = new Rollback();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ReadyTimeout);
        var ct = timeout.Token;
        try
        {
            // The three volumes are made at once (the config is written as soon as its volume exists); then each
            // container once its own inputs exist. A name conflict on any of them means the session exists. There is
            // no image check up front: two `image exists` processes on the critical path cost CPU the agent's start
            // needs, and `run --pull=never` of a missing image fails by itself ("image not known", nothing created),
            // which becomes the ImageNotFoundException, and the rollback removes whatever else this create made.
            var workspace = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.Workspace, runArgs.WorkspaceVolumeArgs(names, config, spec.Environment), ct);
            var socket = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.ProxySocket, runArgs.SocketVolumeArgs(names), ct);
            var proxyConfig = CreateResourceAsync(rollback, Rollback.Kind.Volume, names.ProxyConfig, runArgs.ProxyConfigVolumeArgs(names), ct);
            var configWritten = WriteConfigWhenCreatedAsync(proxyConfig, names, config.Egress, ct);
            // Each container starts as soon as the volumes it mounts were made by this create (a conflict on one
            // means the session exists: nothing of it is mounted or started). The agent (on the critical path of
            // create→the agent's first screen) needs neither the proxy's config nor its container; its bridge
            // connects to the proxy's socket per connection, and the create still waits for that bridge below. The
            // socket volume's owner does not depend on which container mounts it first (SocketVolumeOptions).
            Task<CreateOutcome>[] agentVolumes = [workspace, socket];
            Task<CreateOutcome>[] volumes = [workspace, socket, proxyConfig];
            var agent = RunWhenReadyAsync(
                Task.WhenAll(agentVolumes),
                agentVolumes,
                () => CreateResourceAsync(rollback, Rollback.Kind.Container, names.Agent, runArgs.AgentRunArgs(names, config, spec.Environment), ct));
            var proxy = RunWhenReadyAsync(
                Task.WhenAll(workspace, socket, proxyConfig, configWritten),
                volumes,
                () => CreateResourceAsync(rollback, Rollback.Kind.Container, names.Proxy, runArgs.ProxyRunArgs(names, config.ProxyImage), ct));

            // Credentials go to the agent as soon as it runs (its agent waits for them), squid's readiness is awaited
            // as soon as the proxy runs; the session is returned only once all are done. The bridge needs both. Both
            // container tasks are awaited too, so a failure rolls back only after no create is still under way.
            // The first step to fault stops the others (they all run with the ready timeout's token) and is the error.
            await CreateSteps.AllOrFirstFaultAsync(
                timeout,
                configWritten,
                Task.WhenAll(agent, proxy),
                CreateSteps.WhenCreatedAsync([agent], () => credentialDelivery.DeliverAsync(names, config.Credentials, ct)),
                CreateSteps.WhenCreatedAsync([proxy], () => readiness.WaitProxyListeningAsync(names, ct)),
                CreateSteps.WhenCreatedAsync([agent, proxy], () => readiness.WaitBridgeListeningAsync(names, ct))).ConfigureAwait(false);
            if (agent.Result == CreateOutcome.Conflict || proxy.Result == CreateOutcome.Conflict)
            {
                throw new SessionAlreadyExistsException(name.Value, backendName);
            }
        }
        catch (Exception ex)
        {
            // An expected refusal is the caller's to report, in one line; only a real fault is worth a warning.
            if (ex is SessionAlreadyExistsException or ImageNotFoundException)
            {
                Log.CreateRefused(logger, name.Value, ex);
            }
            else
            {
                Log.RollingBack(logger, name.Value, ex);
            }

            await rollback.UndoAsync(engine, name, logger).ConfigureAwait(false);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new BackendOperationException($"Backend '{backendName}': session '{name.Value}' was not ready within {options.ReadyTimeout}; everything created was removed.", ex);
            }

            throw;
        }

        var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Log.Created(logger, name.Value, elapsedMs);

        // Both containers run and the proxy serves, so the state is known without another engine call.
        return new SessionInfo(name, backendName, SessionStatus.Running)
        {
            Workspace = config.Workspace,
            CreatedAt = config.CreatedAt,
            AgentImage = config.AgentImage,
            Egress = config.Egress,
            Limits = config.Limits,
        };
    }

    /// <summary>
    /// Runs <paramref name="run"/> once <paramref name="prerequisites"/> completed, unless one of the session's volumes
    /// was there already (a conflict: the session exists, nothing is started). A faulted prerequisite faults this too.
    /// </summary>
    private static async Task<CreateOutcome> RunWhenReadyAsync(Task prerequisites, Task<CreateOutcome>[] volumes, Func<Task<CreateOutcome>> run)
    {
        await prerequisites.ConfigureAwait(false);
        foreach (var volume in volumes)
        {
            if (volume.IsCompletedSuccessfully && volume.Result == CreateOutcome.Conflict)
            {
                return CreateOutcome.Conflict;
            }
        }

        return await run().ConfigureAwait(false);
    }

    /// <summary>Writes the proxy config once its volume is created (not when it was there already: a conflict).</summary>
    private async Task WriteConfigWhenCreatedAsync(Task<CreateOutcome> volume, PodmanNames names, EgressPolicy policy, CancellationToken cancellationToken)
    {
        if (await volume.ConfigureAwait(false) == CreateOutcome.Created)
        {
            await egress.WriteConfigVolumeAsync(names, policy, "writing the proxy config", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs a create command and records the resource for rollback before it runs (a cancelled podman call may still
    /// have created it); a name conflict is reported, not recorded, so rollback never touches someone else's resource.
    /// </summary>
    private async Task<CreateOutcome> CreateResourceAsync(Rollback rollback, Rollback.Kind kind, string resource, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        rollback.Add(kind, resource);
        var result = await engine.RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            return CreateOutcome.Created;
        }

        if (PodmanEngine.IsConflict(result))
        {
            rollback.Remove(kind, resource);
            return CreateOutcome.Conflict;
        }

        if (kind == Rollback.Kind.Container && PodmanEngine.IsImageNotKnown(result))
        {
            // A container's run arguments end with its image.
            throw PodmanEngine.ImageNotFound(args[^1]);
        }

        throw engine.Failure($"creating {kind.ToString().ToLowerInvariant()} '{resource}'", result);
    }
}
