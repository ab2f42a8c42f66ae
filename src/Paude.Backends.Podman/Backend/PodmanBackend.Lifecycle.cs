using System.Globalization;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

internal sealed partial class PodmanBackend
{
    public async Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var names = new PodmanNames(name);
        var (_, containers) = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => c.Name == names.Agent);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ReadyTimeout);
        var ct = timeout.Token;

        // What a repair creates is removed again when the start fails, so a failed start changes nothing.
        var rollback = new Rollback();
        SessionRecord config;
        try
        {
            config = agent is null
                ? await RecreateAgentAsync(names, rollback, ct).ConfigureAwait(false)
                : SessionLabels.ReadConfig(agent.Labels, _options.AgentImage, _options.ProxyImage);
            if (!containers.Any(c => c.Name == names.Proxy))
            {
                await RepairProxyAsync(names, config, rollback, ct).ConfigureAwait(false);
            }

            // 'podman start' on a running container is a no-op, so one call makes both idempotently running.
            await MustAsync(["start", names.Proxy, names.Agent], $"starting session '{name.Value}'", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (rollback.Any)
        {
            Log.RollingBack(_logger, name.Value, ex);
            await RollbackAsync(name, rollback).ConfigureAwait(false);
            throw;
        }

        try
        {
            await Task.WhenAll(RestoreCredentialsAsync(names, config, ct), WaitProxyListeningAsync(names, ct), WaitBridgeListeningAsync(names, ct)).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BackendOperationException($"Backend '{Name}': session '{name.Value}' was not ready within {_options.ReadyTimeout}.", ex);
        }

        return await GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, Name);
    }

    /// <summary>
    /// Podman 4.3 re-creates the tmpfs on restart with mode 0755 despite tmpfs-mode=0770 (measured), which would lock an
    /// arbitrary UID with GID 0 out of it; restore the contract's mode as root (a fixed command, no user input).
    /// </summary>
    private async Task RestoreCredentialsAsync(PodmanNames names, SessionRecord config, CancellationToken cancellationToken)
    {
        await MustAsync(["exec", "--user", "0", names.Agent, "chmod", "0770", AgentContract.CredentialsPath], "restoring the credentials directory mode", cancellationToken).ConfigureAwait(false);
        await DeliverCredentialsAsync(names, config.Credentials, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Re-creates a proxy container removed behind our back: the socket and config volumes are re-created when they
    /// are gone too (the allow-list then comes from the agent's labels, i.e. the one the session was created with).
    /// </summary>
    private async Task RepairProxyAsync(PodmanNames names, SessionRecord config, Rollback rollback, CancellationToken cancellationToken)
    {
        var volumes = await ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        var hasConfig = volumes.Any(v => v.Name == names.ProxyConfig);
        Log.RepairingProxy(_logger, names.Session.Value, hasConfig);
        await EnsureSocketVolumeAsync(names, rollback, cancellationToken).ConfigureAwait(false);

        if (!hasConfig)
        {
            await RepairResourceAsync(rollback, Rollback.Kind.Volume, names.ProxyConfig, ["volume", "create", .. LabelArgs(Labels(names.Session, SessionLabelKeys.RoleProxy)), names.ProxyConfig], cancellationToken).ConfigureAwait(false);
            await WriteConfigVolumeAsync(names, config.Egress, cancellationToken).ConfigureAwait(false);
        }

        await RepairResourceAsync(rollback, Rollback.Kind.Container, names.Proxy, ProxyRunArgs(names, config.ProxyImage, run: false), cancellationToken).ConfigureAwait(false);
    }

    public async Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var names = new PodmanNames(name);
        var seconds = ((int)Math.Ceiling(_options.StopTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        // Only containers that carry this session's label are stopped: a name alone may be someone else's.
        var (_, containers) = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var own = OwnContainers(names, containers);
        if (own.Count > 0)
        {
            await MustAsync(["stop", "--ignore", "-t", seconds, .. own], $"stopping session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        }

        Log.Stopped(_logger, name.Value);
        return await GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, Name);
    }

    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var names = new PodmanNames(name);
        var before = await ListResourcesAsync(names, cancellationToken).ConfigureAwait(false);
        if (before.Total == 0)
        {
            ForgetState(name);
            Log.Deleted(_logger, name.Value, false);
            return false;
        }

        // Containers first (they hold the network and volumes), then the rest in parallel. Only what the listing by
        // this session's label returned is removed, never a name computed from the session name alone: that name
        // could belong to another session (it did under the old naming scheme) or to something that is not Paude's.
        if (before.Containers.Count > 0)
        {
            await MustAsync(["rm", "-f", "--ignore", "-t", "0", .. before.Containers], $"removing the containers of session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        }

        var removals = new List<Task>();
        removals.AddRange(before.Networks.Select(n => RemoveAsync(["network", "rm", "-f", n], $"removing network '{n}'", cancellationToken)));
        removals.AddRange(before.Volumes.Select(v => RemoveAsync(["volume", "rm", "-f", v], $"removing volume '{v}'", cancellationToken)));
        await Task.WhenAll(removals).ConfigureAwait(false);

        var after = await ListResourcesAsync(names, cancellationToken).ConfigureAwait(false);
        if (after.Total > 0)
        {
            throw new BackendOperationException(
                $"Backend '{Name}': session '{name.Value}' was not fully deleted; still present: {string.Join(", ", after.Containers.Concat(after.Networks).Concat(after.Volumes))}");
        }

        ForgetState(name);
        Log.Deleted(_logger, name.Value, true);
        return true;
    }

    /// <summary>The host's state of a deleted session (two-way sync's bases) goes with it; see <see cref="SessionStateFolder"/>.</summary>
    private void ForgetState(SessionName name)
    {
        if (SessionStateFolder.Forget(Name, name) is { } reason)
        {
            Log.StateNotRemoved(_logger, name.Value, reason);
        }
    }

    /// <summary>The agent and proxy of this session among <paramref name="containers"/>, which were listed by its label.</summary>
    private static List<string> OwnContainers(PodmanNames names, IEnumerable<ContainerEntry> containers) =>
        [.. containers.Where(c => c.Session == names.Session.Value &&
            ((c.Name == names.Agent && c.Role == SessionLabelKeys.RoleAgent) || (c.Name == names.Proxy && c.Role == SessionLabelKeys.RoleProxy))).Select(c => c.Name)];

    private async Task RemoveAsync(IReadOnlyList<string> args, string what, CancellationToken cancellationToken)
    {
        var result = await RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && !IsNoSuch(result))
        {
            throw Failure(what, result);
        }
    }

    private async Task<SessionResources> ListResourcesAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var filter = names.SessionLabelFilter;
        var containers = ListContainersAsync(filter, cancellationToken);
        var networks = ListNamedAsync("network", filter, cancellationToken);
        var volumes = ListNamedAsync("volume", filter, cancellationToken);
        await Task.WhenAll(containers, networks, volumes).ConfigureAwait(false);
        return new SessionResources(
            [.. (await containers.ConfigureAwait(false)).Select(c => c.Name)],
            [.. (await networks.ConfigureAwait(false)).Select(n => n.Name)],
            [.. (await volumes.ConfigureAwait(false)).Select(v => v.Name)]);
    }

    private sealed record SessionResources(IReadOnlyList<string> Containers, IReadOnlyList<string> Networks, IReadOnlyList<string> Volumes)
    {
        public int Total => Containers.Count + Networks.Count + Volumes.Count;
    }
}
