using System.Globalization;
using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Start, stop and delete of a session. A start repairs what was removed behind our back (<see cref="OrphanRepair"/>,
/// rolled back when the start fails), redelivers the credentials and waits until the proxy serves; stop and delete
/// touch only what carries this session's label.
/// </summary>
internal sealed class PodmanLifecycle(
    string backendName,
    PodmanEngine engine,
    PodmanSessionReader reader,
    OrphanRepair repair,
    CredentialDelivery credentialDelivery,
    ProxyReadiness readiness,
    PodmanBackendOptions options,
    ILogger logger)
{
    public async Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var (_, containers) = await reader.RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => c.Name == names.Agent);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ReadyTimeout);
        var ct = timeout.Token;

        // What a repair creates is removed again when the start fails, so a failed start changes nothing.
        var rollback = new Rollback();
        SessionRecord config;
        try
        {
            config = agent is null
                ? await repair.RecreateAgentAsync(names, rollback, ct).ConfigureAwait(false)
                : SessionLabels.ReadConfig(agent.Labels, options.AgentImage, options.ProxyImage);
            if (!containers.Any(c => c.Name == names.Proxy))
            {
                await repair.RepairProxyAsync(names, config, rollback, ct).ConfigureAwait(false);
            }

            // 'podman start' on a running container is a no-op, so one call makes both idempotently running.
            await engine.MustAsync(["start", names.Proxy, names.Agent], $"starting session '{name.Value}'", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (rollback.Any)
        {
            Log.RollingBack(logger, name.Value, ex);
            await rollback.UndoAsync(engine, name, logger).ConfigureAwait(false);
            throw;
        }

        try
        {
            await CreateSteps.AllOrFirstFaultAsync(timeout, credentialDelivery.RedeliverAsync(names, config, ct), readiness.WaitProxyListeningAsync(names, ct), readiness.WaitBridgeListeningAsync(names, ct)).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BackendOperationException($"Backend '{backendName}': session '{name.Value}' was not ready within {options.ReadyTimeout}.", ex);
        }

        return await reader.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, backendName);
    }

    public async Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var seconds = ((int)Math.Ceiling(options.StopTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        // Only containers that carry this session's label are stopped: a name alone may be someone else's.
        var (_, containers) = await reader.RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var own = OwnContainers(names, containers);
        if (own.Count > 0)
        {
            await engine.MustAsync(["stop", "--ignore", "-t", seconds, .. own], $"stopping session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        }

        Log.Stopped(logger, name.Value);
        return await reader.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, backendName);
    }

    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var before = await ListResourcesAsync(names, cancellationToken).ConfigureAwait(false);
        if (before.Total == 0)
        {
            ForgetState(name);
            Log.Deleted(logger, name.Value, false);
            return false;
        }

        // Containers first (they hold the network and volumes), then the rest in parallel. Only what the listing by
        // this session's label returned is removed, never a name computed from the session name alone: that name
        // could belong to another session (it did under the old naming scheme) or to something that is not Paude's.
        if (before.Containers.Count > 0)
        {
            await engine.MustAsync(["rm", "-f", "--ignore", "-t", "0", .. before.Containers], $"removing the containers of session '{name.Value}'", cancellationToken).ConfigureAwait(false);
        }

        var removals = new List<Task>();
        removals.AddRange(before.Networks.Select(n => RemoveAsync(["network", "rm", "-f", n], $"removing network '{n}'", cancellationToken)));
        removals.AddRange(before.Volumes.Select(v => RemoveAsync(["volume", "rm", "-f", v], $"removing volume '{v}'", cancellationToken)));
        await Task.WhenAll(removals).ConfigureAwait(false);

        var after = await ListResourcesAsync(names, cancellationToken).ConfigureAwait(false);
        if (after.Total > 0)
        {
            throw new BackendOperationException(
                $"Backend '{backendName}': session '{name.Value}' was not fully deleted; still present: {string.Join(", ", after.Containers.Concat(after.Networks).Concat(after.Volumes))}");
        }

        ForgetState(name);
        Log.Deleted(logger, name.Value, true);
        return true;
    }

    /// <summary>The host's state of a deleted session (two-way sync's bases) goes with it; see <see cref="SessionStateFolder"/>.</summary>
    private void ForgetState(SessionName name)
    {
        if (SessionStateFolder.Forget(backendName, name) is { } reason)
        {
            Log.StateNotRemoved(logger, name.Value, reason);
        }
    }

    /// <summary>The agent and proxy of this session among <paramref name="containers"/>, which were listed by its label.</summary>
    private static List<string> OwnContainers(PodmanNames names, IEnumerable<ContainerEntry> containers) =>
        [.. containers.Where(c => c.Session == names.Session.Value &&
            ((c.Name == names.Agent && c.Role == SessionLabelKeys.RoleAgent) || (c.Name == names.Proxy && c.Role == SessionLabelKeys.RoleProxy))).Select(c => c.Name)];

    private async Task RemoveAsync(IReadOnlyList<string> args, string what, CancellationToken cancellationToken)
    {
        var result = await engine.RunAsync(args, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && !PodmanEngine.IsNoSuch(result))
        {
            throw engine.Failure(what, result);
        }
    }

    private async Task<SessionResources> ListResourcesAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var filter = names.SessionLabelFilter;
        var containers = engine.ListContainersAsync(filter, cancellationToken);
        var networks = engine.ListNamedAsync("network", filter, cancellationToken);
        var volumes = engine.ListNamedAsync("volume", filter, cancellationToken);
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
