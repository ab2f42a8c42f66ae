using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Sessions whose agent container was removed behind our back (<c>podman rm</c>, an engine reset) while their
/// workspace volume, network or proxy config volume remain: they are listed, can be started (the containers are
/// re-created from the workspace volume's labels, which carry the whole session config) and deleted.
/// </summary>
internal sealed partial class PodmanBackend
{
    /// <summary>
    /// Re-creates the agent container (and the socket volume when it is gone too) from the workspace volume's
    /// labels. Every resource made here is recorded in <paramref name="rollback"/>, so a failure removes it again
    /// and leaves the session as it was. Returns the session config read from the labels.
    /// </summary>
    private async Task<SessionRecord> RecreateAgentAsync(PodmanNames names, Rollback rollback, CancellationToken cancellationToken)
    {
        var volumes = await ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        // The newest upgrade record when the session was upgraded (it may be mid-upgrade), else the workspace volume's.
        var workspace = UpgradeRecords.Latest(names, volumes);
        if (workspace is null || !SessionLabels.HasConfig(workspace))
        {
            throw new BackendOperationException(
                $"Backend '{Name}': session '{names.Session.Value}' has neither an agent container nor a workspace volume with its configuration; delete it and create it again.");
        }

        Log.RecreatingAgent(_logger, names.Session.Value);
        var config = SessionLabels.ReadConfig(workspace, _options.AgentImage, _options.ProxyImage);
        await RequireImageAsync(config.AgentImage, cancellationToken).ConfigureAwait(false);
        await EnsureSocketVolumeAsync(names, rollback, cancellationToken).ConfigureAwait(false);

        var args = AgentRunArgs(names, config, SessionLabels.ReadEnvironment(workspace), run: false);
        await RepairResourceAsync(rollback, Rollback.Kind.Container, names.Agent, args, cancellationToken).ConfigureAwait(false);
        return config;
    }

    /// <summary>
    /// Creates a missing resource of an existing session, recorded for rollback before it runs (a cancelled podman call
    /// may still have made it); a name conflict means someone else's resource holds the name: it is never recorded,
    /// so a rollback cannot remove it.
    /// </summary>
    private async Task RepairResourceAsync(Rollback rollback, Rollback.Kind kind, string resource, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        rollback.Add(kind, resource);
        var result = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            if (IsConflict(result))
            {
                rollback.Remove(kind, resource);
            }

            throw Failure($"re-creating {kind.ToString().ToLowerInvariant()} '{resource}'", result);
        }
    }
}
