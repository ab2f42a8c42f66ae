using System.Runtime.CompilerServices;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Listing and state: reads sessions from the engine alone (the labels are the record) and derives their status
/// (<see cref="PodmanState"/>). A session whose agent container was removed behind our back is still read, from its
/// leftovers (the workspace volume's labels hold its record), so it can be started (re-created) or deleted.
/// </summary>
internal sealed class PodmanSessionReader(PodmanEngine engine, string backendName, PodmanBackendOptions options)
{
    public async Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var containers = await engine.ListContainersAsync(names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        if (containers.Any(c => c.Name == names.Agent))
        {
            return Build(name, containers);
        }

        // No agent container: the volumes and network may remain (removed behind our back); that is a broken
        // session, not "no session", so it is reported and can be started (re-created) or deleted.
        return await ReadWithoutAgentAsync(names, containers, cancellationToken).ConfigureAwait(false);
    }

    public async IAsyncEnumerable<SessionInfo> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Two engine calls in parallel for the whole list (each podman process costs ~40 ms of CPU; `paude list` is
        // meant to cost little more than one): the labels carry everything, and a session whose containers are gone
        // still shows up through its workspace volume, which holds its record. Networks are left out: only sessions
        // made before the agent lost its network have one, and one left alone (no container, no volume) holds no
        // record; `status`/`delete NAME` still find it.
        var filter = $"label={SessionLabelKeys.App}={SessionLabelKeys.AppValue}";
        var containersTask = engine.ListContainersAsync(filter, cancellationToken);
        var volumesTask = engine.ListNamedAsync("volume", filter, cancellationToken);
        await Task.WhenAll(containersTask, volumesTask).ConfigureAwait(false);
        var containers = await containersTask.ConfigureAwait(false);
        var volumes = await volumesTask.ConfigureAwait(false);
        var sessions = containers.Select(c => c.Session)
            .Concat(volumes.Select(v => v.Labels.TryGetValue(SessionLabelKeys.SessionName, out var s) ? s : null))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            if (!SessionName.TryParse(session, out var sessionName))
            {
                continue;
            }

            var names = new PodmanNames(sessionName.Value);
            var own = containers.Where(c => c.Session == session).ToList();
            yield return own.Any(c => c.Name == names.Agent)
                ? Build(sessionName.Value, own)
                : FromLeftovers(names, own, UpgradeRecords.Latest(names, volumes.Where(v => v.Labels.TryGetValue(SessionLabelKeys.SessionName, out var s) && s == session)));
        }
    }

    /// <summary>Reads the session and requires that it exists (a session whose containers are gone still does).</summary>
    public async Task<(SessionInfo Info, List<ContainerEntry> Containers)> RequireAsync(SessionName name, CancellationToken cancellationToken)
    {
        var names = new PodmanNames(name);
        var containers = await engine.ListContainersAsync(names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        if (containers.Any(c => c.Name == names.Agent))
        {
            return (Build(name, containers), containers);
        }

        var info = await ReadWithoutAgentAsync(names, containers, cancellationToken).ConfigureAwait(false);
        return (info ?? throw new SessionNotFoundException(name.Value, backendName), containers);
    }

    /// <summary>Requires a running agent container (exec, file channel, attach).</summary>
    public async Task RequireRunningAsync(SessionName name, CancellationToken cancellationToken)
    {
        var (info, containers) = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => c.Name == new PodmanNames(name).Agent);
        if (agent is not { IsRunning: true })
        {
            throw new SessionNotRunningException(name.Value, info.Status.ToString());
        }
    }

    /// <summary>Reads a session without an agent container from its leftovers; <c>null</c> when nothing is left.</summary>
    private async Task<SessionInfo?> ReadWithoutAgentAsync(PodmanNames names, List<ContainerEntry> containers, CancellationToken cancellationToken)
    {
        var volumesTask = engine.ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken);
        var networksTask = engine.ListNamedAsync("network", names.SessionLabelFilter, cancellationToken);
        await Task.WhenAll(volumesTask, networksTask).ConfigureAwait(false);
        var volumes = await volumesTask.ConfigureAwait(false);
        var networks = await networksTask.ConfigureAwait(false);
        if (containers.Count + volumes.Count + networks.Count == 0)
        {
            return null;
        }

        return FromLeftovers(names, containers, UpgradeRecords.Latest(names, volumes));
    }

    /// <summary>The info of a session without an agent container; the workspace volume's labels hold its record.</summary>
    private SessionInfo FromLeftovers(PodmanNames names, List<ContainerEntry> containers, IReadOnlyDictionary<string, string>? workspaceLabels)
        => ToInfo(names.Session, null, containers.FirstOrDefault(c => c.Name == names.Proxy), workspaceLabels);

    private SessionInfo Build(SessionName name, IReadOnlyList<ContainerEntry> containers)
    {
        var names = new PodmanNames(name);
        var agent = containers.FirstOrDefault(c => c.Name == names.Agent);
        var proxy = containers.FirstOrDefault(c => c.Name == names.Proxy);
        return ToInfo(name, agent, proxy, agent?.Labels);
    }

    private SessionInfo ToInfo(SessionName name, ContainerEntry? agent, ContainerEntry? proxy, IReadOnlyDictionary<string, string>? labels)
    {
        var (status, reason) = PodmanState.Derive(agent, proxy, canRecreate: labels is not null && SessionLabels.HasConfig(labels));
        var config = labels is null ? null : SessionLabels.ReadConfig(labels, options.AgentImage, options.ProxyImage);
        return new SessionInfo(name, backendName, status)
        {
            StatusReason = reason,
            Workspace = config?.Workspace,
            CreatedAt = config?.CreatedAt,
            AgentImage = config?.AgentImage,
            Egress = config?.Egress,

            // The record, not `podman inspect`: the limits label and the agent's --memory/--cpus/--pids-limit/
            // --cpu-shares/--memory-reservation/--device flags are written from the same SessionLimits by the one
            // `podman run` that makes the container (an upgrade re-creates it), so the label is what is in force; it also
            // keeps what the cgroup rounds (a CPU request as shares) and the GPU count (CDI names are resolved into device
            // nodes). Inspecting would cost a podman process on every status (PodmanCallCountTests). Only a
            // `podman update` behind Paude's back makes them differ. Without an agent container it is the workspace
            // volume's record: what a start re-creates the agent with. The agent cannot reach either label.
            Limits = labels is null ? null : SessionLabels.TryReadLimits(labels),
        };
    }
}
