using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Sessions whose containers were removed behind our back (<c>podman rm</c>, an engine reset) while their workspace
/// volume or agent remain: a start re-creates what is missing — the agent container from the workspace volume's labels
/// (they carry the whole session config), the proxy container and its volumes from the session record. Every resource
/// made here is recorded in the caller's <see cref="Rollback"/>, so a failed start removes it again and leaves the
/// session as it was.
/// </summary>
internal sealed class OrphanRepair(string backendName, PodmanEngine engine, PodmanRunArgs runArgs, PodmanEgress egress, PodmanBackendOptions options, ILogger logger)
{
    /// <summary>
    /// Re-creates the agent container (and the socket volume when it is gone too) from the workspace volume's
    /// labels. Returns the session config read from the labels.
    /// </summary>
    public async Task<SessionRecord> RecreateAgentAsync(PodmanNames names, Rollback rollback, CancellationToken cancellationToken)
    {
        var volumes = await engine.ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        // The newest upgrade record when the session was upgraded (it may be mid-upgrade), else the workspace volume's.
        var workspace = UpgradeRecords.Latest(names, volumes);
        if (workspace is null || !SessionLabels.HasConfig(workspace))
        {
            throw new BackendOperationException(
                $"Backend '{backendName}': session '{names.Session.Value}' has neither an agent container nor a workspace volume with its configuration; delete it and create it again.");
        }

        Log.RecreatingAgent(logger, names.Session.Value);
        var config = SessionLabels.ReadConfig(workspace, options.AgentImage, options.ProxyImage);
        await engine.RequireImageAsync(config.AgentImage, cancellationToken).ConfigureAwait(false);
        await EnsureSocketVolumeAsync(names, rollback, cancellationToken).ConfigureAwait(false);

        var args = runArgs.AgentRunArgs(names, config, SessionLabels.ReadEnvironment(workspace), run: false);
        await RepairResourceAsync(rollback, Rollback.Kind.Container, names.Agent, args, cancellationToken).ConfigureAwait(false);
        return config;
    }

    /// <summary>
    /// Re-creates a proxy container removed behind our back: the socket and config volumes are re-created when they
    /// are gone too (the allow-list then comes from the agent's labels, i.e. the one the session was created with).
    /// </summary>
    public async Task RepairProxyAsync(PodmanNames names, SessionRecord config, Rollback rollback, CancellationToken cancellationToken)
    {
        var volumes = await engine.ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        var hasConfig = volumes.Any(v => v.Name == names.ProxyConfig);
        Log.RepairingProxy(logger, names.Session.Value, hasConfig);
        await EnsureSocketVolumeAsync(names, rollback, cancellationToken).ConfigureAwait(false);

        if (!hasConfig)
        {
            await RepairResourceAsync(rollback, Rollback.Kind.Volume, names.ProxyConfig, runArgs.ProxyConfigVolumeArgs(names), cancellationToken).ConfigureAwait(false);
            await egress.WriteConfigVolumeAsync(names, config.Egress, "writing the proxy config", cancellationToken).ConfigureAwait(false);
        }

        await RepairResourceAsync(rollback, Rollback.Kind.Container, names.Proxy, runArgs.ProxyRunArgs(names, config.ProxyImage, run: false), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-creates the socket volume of an existing session when it is gone.</summary>
    private async Task EnsureSocketVolumeAsync(PodmanNames names, Rollback rollback, CancellationToken cancellationToken)
    {
        var exists = await engine.RunAsync(["volume", "exists", names.ProxySocket], cancellationToken).ConfigureAwait(false);
        if (!exists.Succeeded)
        {
            await RepairResourceAsync(rollback, Rollback.Kind.Volume, names.ProxySocket, runArgs.SocketVolumeArgs(names), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Creates a missing resource of an existing session, recorded for rollback before it runs (a cancelled podman call
    /// may still have made it); a name conflict means someone else's resource holds the name: it is never recorded,
    /// so a rollback cannot remove it.
    /// </summary>
    private async Task RepairResourceAsync(Rollback rollback, Rollback.Kind kind, string resource, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        rollback.Add(kind, resource);
        var result = await engine.RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (PodmanEngine.IsConflict(result))
            {
                rollback.Remove(kind, resource);
            }

            throw engine.Failure($"re-creating {kind.ToString().ToLowerInvariant()} '{resource}'", result);
        }
    }
}
