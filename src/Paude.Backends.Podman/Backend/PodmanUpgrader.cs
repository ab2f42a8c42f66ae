using Microsoft.Extensions.Logging;
using Paude.Backends.Podman.Logging;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// <see cref="ISessionBackend.UpgradeAsync"/> on Podman: re-creates the agent and proxy containers on a new record
/// while the workspace, socket and proxy config volumes stay. Crash-safe by construction:
/// <list type="number">
/// <item>the target record is written first, atomically, as a new upgrade record volume of the next generation
/// (<see cref="UpgradeRecords"/>); the agent container carries the generation of the record it was made from;</item>
/// <item>an agent of another generation is out of date: the proxy is removed, the record's allow-list written into the
/// proxy config volume (read by the proxy start re-creates), then the agent container removed (containers by their
/// session label and role only — never a volume);</item>
/// <item>the backend's own start re-creates both from the newest record (its repair path), delivers the credentials
/// again and waits until the proxy and the bridge serve;</item>
/// <item>older record volumes are removed.</item>
/// </list>
/// Every step is idempotent and decided from the engine alone, so a rerun after a kill anywhere finishes the pending
/// upgrade (and only then starts a new one when the request asks for something else). Holds the session's sync lock
/// (<see cref="SessionSyncLock"/>) throughout and refuses when a sync holds it.
/// </summary>
internal sealed class PodmanUpgrader(string backendName, PodmanEngine engine, PodmanSessionReader reader, PodmanLifecycle lifecycle, PodmanEgress egress, PodmanBackendOptions options, ILogger logger)
{
    /// <summary>
    /// A test seam: called with the name of each step once it is done (<c>intent-recorded</c>, <c>proxy-removed</c>,
    /// <c>agent-removed</c>, <c>started</c>); a test throws from it to stop the upgrade there as a kill would (no
    /// step undoes an earlier one). Flows with the async context, so parallel tests do not see each other's.
    /// </summary>
    internal static readonly AsyncLocal<Action<string>?> FaultPoint = new();

    public async Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken)
    {
        SessionUpgradeValidation.Validate(upgrade, PodmanResources.SpecErrors);
        using var held = SessionSyncLock.HoldForUpgrade(backendName, name);

        var names = new PodmanNames(name);
        var state = await ReadAsync(names, cancellationToken).ConfigureAwait(false);
        if (state.Pending)
        {
            // A pending upgrade (a killed one) is finished first, on the record it wrote: its intent was recorded.
            UpgradeLog.FinishingPending(logger, name.Value, state.Record.Generation);
            await FinishAsync(names, state.Record, cancellationToken).ConfigureAwait(false);
            if (SessionUpgradeTarget.Apply(state.Record, upgrade) == state.Record &&
                SessionUpgradeTarget.Environment(state.Environment, upgrade) == state.Environment)
            {
                // The rerun of the same upgrade (or one asking for nothing new): finishing it was the whole job.
                return await reader.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, backendName);
            }

            state = await ReadAsync(names, cancellationToken).ConfigureAwait(false);
        }

        // The allow-list in force is the proxy config volume's (SetEgressPolicyAsync changes it, not the record), so an
        // upgrade that leaves the allow-list alone carries that one into the new record, never the one created with.
        var current = state.Record with { Egress = await egress.GetPolicyAsync(name, cancellationToken).ConfigureAwait(false) };
        var target = SessionUpgradeTarget.Apply(current, upgrade) with { Generation = state.Record.Generation + 1 };
        var environment = SessionUpgradeTarget.Environment(state.Environment, upgrade);
        await RequireImagesAsync(target, cancellationToken).ConfigureAwait(false);
        UpgradeLog.Upgrading(logger, name.Value, target.Generation, target.AgentImage, target.ProxyImage);
        await RecordIntentAsync(names, target, environment, cancellationToken).ConfigureAwait(false);
        FaultPoint.Value?.Invoke("intent-recorded");
        await FinishAsync(names, target, cancellationToken).ConfigureAwait(false);
        UpgradeLog.Upgraded(logger, name.Value, target.Generation);
        return await reader.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, backendName);
    }

    /// <summary>The session's newest record, its extra environment, and whether its containers lag behind that record.</summary>
    private async Task<(SessionRecord Record, IReadOnlyDictionary<string, string> Environment, bool Pending)> ReadAsync(PodmanNames names, CancellationToken cancellationToken)
    {
        var containersTask = engine.ListContainersAsync(names.SessionLabelFilter, cancellationToken);
        var volumesTask = engine.ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken);
        await Task.WhenAll(containersTask, volumesTask).ConfigureAwait(false);
        var containers = await containersTask.ConfigureAwait(false);
        var volumes = await volumesTask.ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => IsOwn(c, names.Agent, SessionLabelKeys.RoleAgent, names));
        var upgraded = UpgradeRecords.UpgradeVolumes(names, volumes).OrderByDescending(v => v.Generation).FirstOrDefault().Labels;
        var workspace = volumes.FirstOrDefault(v => v.Name == names.Workspace).Labels;

        // The record: the newest upgrade's, else the live agent's (what the session runs), else the workspace volume's.
        var labels = upgraded ?? agent?.Labels ?? workspace;
        if (labels is null || !SessionLabels.HasConfig(labels))
        {
            if (containers.Count == 0 && volumes.Count == 0)
            {
                throw new SessionNotFoundException(names.Session.Value, backendName);
            }

            throw new BackendOperationException(
                $"Backend '{backendName}': session '{names.Session.Value}' has no readable record (agent container and workspace volume lack it); it cannot be upgraded, only deleted.");
        }

        var record = SessionLabels.ReadConfig(labels, options.AgentImage, options.ProxyImage);
        var environment = SessionLabels.ReadEnvironment(upgraded ?? workspace ?? new Dictionary<string, string>());
        // Pending: the agent lags behind the newest record, or an older record is still there (killed before its cleanup).
        var pending = agent is null || SessionLabels.ReadGeneration(agent.Labels) != record.Generation ||
            UpgradeRecords.UpgradeVolumes(names, volumes).Any(v => v.Generation < record.Generation);
        return (record, environment, pending);
    }

    /// <summary>Writes the target record as the upgrade record volume of its generation (one atomic engine call).</summary>
    private async Task RecordIntentAsync(PodmanNames names, SessionRecord target, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var volume = UpgradeRecords.VolumeName(names, target.Generation);
        var labels = SessionLabels.Base(names.Session.Value, UpgradeRecords.Role, options.ExtraLabels);
        SessionLabels.AddConfig(labels, target);
        SessionLabels.AddEnvironment(labels, environment);
        var result = await engine.RunAsync(["volume", "create", .. PodmanRunArgs.LabelArgs(labels), volume], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            throw PodmanEngine.IsConflict(result)
                ? new BackendOperationException($"Backend '{backendName}': another upgrade of session '{names.Session.Value}' recorded generation {target.Generation} first; run the upgrade again.")
                : engine.Failure($"recording the upgrade of session '{names.Session.Value}'", result);
        }
    }

    /// <summary>
    /// Brings the containers to <paramref name="record"/> (the newest): out-of-date containers go (proxy first, so no new
    /// proxy ever serves an old agent's record), the record's allow-list is written into the proxy config volume (the
    /// proxy is gone then: it reads it when re-created), start re-creates both from that record, older records go.
    /// </summary>
    private async Task FinishAsync(PodmanNames names, SessionRecord record, CancellationToken cancellationToken)
    {
        var generation = record.Generation;
        var containers = await engine.ListContainersAsync(names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        var agent = containers.FirstOrDefault(c => IsOwn(c, names.Agent, SessionLabelKeys.RoleAgent, names));
        if (agent is null || SessionLabels.ReadGeneration(agent.Labels) != generation)
        {
            if (containers.Any(c => IsOwn(c, names.Proxy, SessionLabelKeys.RoleProxy, names)))
            {
                await RemoveContainerAsync(names.Proxy, cancellationToken).ConfigureAwait(false);
            }

            FaultPoint.Value?.Invoke("proxy-removed");
            await egress.SetPolicyAsync(names.Session, record.Egress, cancellationToken).ConfigureAwait(false);
            if (agent is not null)
            {
                await RemoveContainerAsync(names.Agent, cancellationToken).ConfigureAwait(false);
            }

            FaultPoint.Value?.Invoke("agent-removed");
        }

        // Start re-creates what is missing from the newest record, re-delivers the credentials and waits until it serves.
        await lifecycle.StartAsync(names.Session, cancellationToken).ConfigureAwait(false);
        FaultPoint.Value?.Invoke("started");

        var volumes = await engine.ListNamedAsync("volume", names.SessionLabelFilter, cancellationToken).ConfigureAwait(false);
        foreach (var old in UpgradeRecords.UpgradeVolumes(names, volumes).Where(v => v.Generation < generation))
        {
            var result = await engine.RunAsync(["volume", "rm", "-f", old.Name], cancellationToken).ConfigureAwait(false);
            if (!result.Succeeded && !PodmanEngine.IsNoSuch(result))
            {
                throw engine.Failure($"removing the old upgrade record '{old.Name}'", result);
            }
        }
    }

    private async Task RemoveContainerAsync(string container, CancellationToken cancellationToken)
    {
        var result = await engine.RunAsync(["rm", "-f", "--ignore", "-t", "0", container], cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded && !PodmanEngine.IsNoSuch(result))
        {
            throw engine.Failure($"removing container '{container}' for the upgrade", result);
        }
    }

    /// <summary>Both images must be in local storage before anything changes (Paude never pulls).</summary>
    private async Task RequireImagesAsync(SessionRecord target, CancellationToken cancellationToken)
    {
        foreach (var image in new[] { target.AgentImage, target.ProxyImage }.Distinct(StringComparer.Ordinal))
        {
            var result = await engine.RunAsync(["image", "exists", image], cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 1)
            {
                throw new ImageNotFoundException(image, "it is not in local Podman storage (Paude never pulls); build it first; the session was not changed");
            }

            if (!result.Succeeded)
            {
                throw engine.Failure($"checking image '{image}'", result);
            }
        }
    }

    /// <summary>A container of this session in this role: a name alone may be someone else's.</summary>
    private static bool IsOwn(ContainerEntry container, string name, string role, PodmanNames names) =>
        container.Name == name && container.Role == role && container.Session == names.Session.Value;
}
