using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Leases;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// <see cref="ISessionBackend.UpgradeAsync"/> on Kubernetes: new images, limits, environment, agent command and placement
/// (node selector, tolerations) for the agent StatefulSet's pod template, new image, allow-list (ConfigMap, rolled by its
/// hash) and the same placement for the proxy Deployment's; their controllers replace the pods, the workspace PVC (the
/// StatefulSet's claim) stays and only ever grows (<see cref="WorkspaceGrowth"/>). Crash-safe: one merge patch of the StatefulSet writes the target record (its
/// annotations, the session's record) together with the agent's template and a new generation
/// (<see cref="GenerationKey"/>, also on the pod template) — the intent and the agent's change are one atomic write.
/// Everything after it is idempotent and decided from the record and the cluster: the claim, the proxy ConfigMap and
/// template are brought to the record, the rollout is waited for by its progress until every pod is of the new
/// generation, then the backend's start repairs missing objects, re-writes the credential Secrets, scales up and
/// waits until the session serves; then the generation is marked finished (<see cref="CompletedKey"/>).
/// A rerun after a kill finds the generation unfinished (or the proxy or a pod behind it) and finishes it; with
/// nothing pending and nothing new asked, it re-creates the pods again (the same images re-pulled). Holds the session's
/// sync lock file (<see cref="SessionSyncLock"/>: syncs of this machine) and its sync Lease (<see cref="SessionSyncLeases"/>:
/// syncs of any machine) throughout, both taken now or never before anything is read or written.
/// </summary>
internal sealed class OpenShiftUpgrader(OpenShiftBackend backend, KubeApi api, WorkspaceGrowth workspace, SessionSyncLeases leases, OpenShiftBackendOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>The generation of the record on the StatefulSet and of the pod templates made from it.</summary>
    public const string GenerationKey = "paude.io/generation";

    /// <summary>A rollout that keeps moving ends within this many <see cref="OpenShiftBackendOptions.ReadyTimeout"/>s (flapping pods never do).</summary>
    private const int RolloutLimit = 5;

    /// <summary>The generation whose upgrade finished (written last, on the StatefulSet's metadata: no pod rolls).</summary>
    public const string CompletedKey = "paude.io/upgrade-completed";

    /// <summary>
    /// A test seam: called with the name of each step once it is done (<c>intent-recorded</c>, <c>proxy-updated</c>,
    /// <c>started</c>, <c>generation-running</c>); a test throws from it to stop the upgrade there as a kill would.
    /// </summary>
    internal static readonly AsyncLocal<Action<string>?> FaultPoint = new();

    public async Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken)
    {
        SessionUpgradeValidation.Validate(upgrade, SessionPlacement.SpecErrors);
        using var held = SessionSyncLock.HoldForUpgrade(backend.Name, name);
        await using var leased = await leases.HoldForUpgradeAsync(name, cancellationToken).ConfigureAwait(false);

        var statefulSet = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(name.Value, backend.Name);

        // The record's allow-list is the one in force: SetEgressPolicyAsync keeps it up to date.
        var record = SessionConfig.Record(statefulSet);
        var generation = Generation(statefulSet.Metadata.Annotations);
        var target = SessionUpgradeTarget.Apply(record, upgrade);
        var environment = ExtraEnvironment(name, statefulSet);
        var targetEnvironment = SessionUpgradeTarget.Environment(environment, upgrade);
        var pending = Generation(statefulSet.Metadata.Annotations, CompletedKey) != generation ||
            await IsPendingAsync(name, generation, cancellationToken).ConfigureAwait(false);
        if (target != record || targetEnvironment != environment || !pending)
        {
            // Refused before anything is written: a workspace that cannot grow (or would shrink) changes nothing.
            await workspace.RequireGrowableAsync(name, record.Cluster.WorkspaceSizeBytes, target.Cluster.WorkspaceSizeBytes, cancellationToken).ConfigureAwait(false);
            generation++;
            UpgradeLog.Upgrading(logger, name.Value, generation, target.AgentImage, target.ProxyImage);
            await RecordIntentAsync(name, statefulSet, target, targetEnvironment, upgrade.Limits is not null, generation, cancellationToken).ConfigureAwait(false);
            FaultPoint.Value?.Invoke("intent-recorded");
        }
        else
        {
            UpgradeLog.FinishingUpgrade(logger, name.Value, generation);
        }

        // From here on everything is decided by the record just written (or found): a rerun repeats it unchanged.
        var step = time.GetTimestamp();
        await workspace.GrowAsync(name, target.Cluster.WorkspaceSizeBytes, cancellationToken).ConfigureAwait(false);
        var configHash = await WriteProxyConfigAsync(name, target.Egress, cancellationToken).ConfigureAwait(false);
        await UpdateProxyAsync(name, target, configHash, generation, cancellationToken).ConfigureAwait(false);
        step = Took(name, "proxy-updated", step);

        // A running session's controllers are replacing its pods now. Start's wait is for a session coming up, with a
        // fixed budget, and it may be met by an old pod that is about to go: so the rollout is waited for first, by its
        // own progress, and start (repair, credentials, readiness) then sees only pods of this generation. A stopped
        // session gets its pods from start's scale-up, already of this generation.
        if ((statefulSet.Spec.Replicas ?? 1) > 0)
        {
            await WaitGenerationAsync(name, generation, cancellationToken).ConfigureAwait(false);
            step = Took(name, "generation-running", step);
        }

        await backend.StartAsync(name, cancellationToken).ConfigureAwait(false);
        Took(name, "started", step);
        var done = new JsonObject { ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [CompletedKey] = generation.ToString(CultureInfo.InvariantCulture) } } };
        var body = new V1Patch(done.ToJsonString(), V1Patch.PatchType.MergePatch);
        await api.CallAsync($"record the finished upgrade of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(body, SessionLabels.Agent(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return await backend.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name.Value, backend.Name);
    }

    /// <summary>Logs how long step <paramref name="name"/> took (where an upgrade's time goes under load) and calls the fault point.</summary>
    private long Took(SessionName session, string name, long since)
    {
        UpgradeLog.StepTook(logger, session.Value, name, (long)time.GetElapsedTime(since).TotalMilliseconds);
        FaultPoint.Value?.Invoke(name);
        return time.GetTimestamp();
    }

    /// <summary>
    /// The agent's extra environment as its template holds it (on this backend the template is its only record): every
    /// plain variable but the contract's own.
    /// </summary>
    private static Dictionary<string, string> ExtraEnvironment(SessionName name, V1StatefulSet statefulSet)
    {
        var contract = AgentContract.Environment(name, ["x"], true, "http://x").Select(e => e.Key).ToHashSet(StringComparer.Ordinal);
        var agent = statefulSet.Spec.Template.Spec.Containers.FirstOrDefault(c => c.Name == SessionLabels.AgentContainer);
        return (agent?.Env ?? []).Where(e => e.ValueFrom is null && !contract.Contains(e.Name))
            .GroupBy(e => e.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value ?? string.Empty, StringComparer.Ordinal);
    }

    /// <summary>The proxy ConfigMap's allow-list set to the record's (idempotent); returns the hash its pods are rolled by.</summary>
    private async Task<string> WriteProxyConfigAsync(SessionName name, Paude.Egress.EgressPolicy egress, CancellationToken cancellationToken)
    {
        var data = ProxyManifests.ConfigData(egress);
        var patch = new V1Patch(OpenShiftJson.MergePatch(data, "data"), V1Patch.PatchType.MergePatch);
        var configMap = await api.GetOrNullAsync("read proxy config", (c, ct) => c.CoreV1.ReadNamespacedConfigMapAsync(SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (configMap is not null)
        {
            // A missing one start repairs, from the record's allow-list.
            await api.CallAsync($"write the proxy config of {name}", (c, ct) => c.CoreV1.PatchNamespacedConfigMapAsync(patch, SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        return ProxyManifests.ConfigHash(data);
    }

    /// <summary>Whether the proxy's template or a pod of the session is behind the StatefulSet's generation.</summary>
    private async Task<bool> IsPendingAsync(SessionName name, int generation, CancellationToken cancellationToken)
    {
        var deployment = await ReadDeploymentAsync(name, cancellationToken).ConfigureAwait(false);
        if (deployment is null || Generation(deployment.Spec.Template.Metadata?.Annotations) != generation)
        {
            return true;
        }

        var pods = await ListPodsAsync(name, cancellationToken).ConfigureAwait(false);
        return pods.Any(p => p.Metadata.DeletionTimestamp is null && Generation(p.Metadata.Annotations) != generation);
    }

    /// <summary>
    /// The one write that records the intent: the record annotations, the generation and the agent's template in one
    /// merge patch (annotations merge key by key; the container list is replaced whole, the agent's entry changed).
    /// </summary>
    private async Task RecordIntentAsync(SessionName name, V1StatefulSet statefulSet, SessionRecord target, IReadOnlyDictionary<string, string> environment, bool newLimits, int generation, CancellationToken cancellationToken)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        SessionRecordCodec.Write(target, annotations, SessionRecordEncoding.PlainText);
        annotations[GenerationKey] = generation.ToString(CultureInfo.InvariantCulture);

        // New limits: the agent's resources as a create would set them (the manifest builder decides). Otherwise the
        // template's own stay: on this backend the record does not carry limits, requests or GPUs (the pod template
        // does), so rebuilding them from the record would silently reset a session's GPUs and limits to the defaults.
        // The environment (the contract's, which carries the agent command, and the extra) is rebuilt the same way.
        var built = AgentManifests.StatefulSet(SessionManifestInput.FromRecord(name, api.Namespace, target, environment), options).Spec.Template.Spec.Containers[0];
        var containers = statefulSet.Spec.Template.Spec.Containers;
        foreach (var container in containers.Where(c => c.Name == SessionLabels.AgentContainer))
        {
            container.Image = target.AgentImage;
            container.Env = built.Env;
            container.Resources = newLimits ? built.Resources : container.Resources;
        }

        var recordPatch = JsonNode.Parse(KubernetesJson.Serialize(annotations))!.AsObject();
        if (target.Cluster.IsEmpty)
        {
            // An empty cluster part is not written (older sessions read as empty), so one a removed placement emptied must go.
            recordPatch[SessionRecordCodec.ClusterKey] = null;
        }

        // The placement goes into the same write: the record and the agent's template never disagree about it.
        var spec = TemplatePatch(generation, containers);
        SessionPlacement.PatchPlacement(spec["template"]!["spec"]!.AsObject(), statefulSet.Spec.Template.Spec.NodeSelector, target.Cluster);
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = recordPatch },
            ["spec"] = spec,
        };
        var body = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        await api.CallAsync($"record the upgrade of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(body, SessionLabels.Agent(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Brings the proxy Deployment's template to the record's image, allow-list, placement and generation (a missing one start repairs).</summary>
    private async Task UpdateProxyAsync(SessionName name, SessionRecord target, string configHash, int generation, CancellationToken cancellationToken)
    {
        var deployment = await ReadDeploymentAsync(name, cancellationToken).ConfigureAwait(false);
        if (deployment is null)
        {
            return;
        }

        var containers = deployment.Spec.Template.Spec.Containers;
        foreach (var container in containers.Where(c => c.Name == SessionLabels.ProxyContainer))
        {
            container.Image = target.ProxyImage;
        }

        var spec = TemplatePatch(generation, containers);
        spec["template"]!["metadata"]!["annotations"]![SessionLabels.ConfigHash] = configHash;
        SessionPlacement.PatchPlacement(spec["template"]!["spec"]!.AsObject(), deployment.Spec.Template.Spec.NodeSelector, target.Cluster);
        var body = new V1Patch(new JsonObject { ["spec"] = spec }.ToJsonString(), V1Patch.PatchType.MergePatch);
        await api.CallAsync($"upgrade proxy of {name}", (c, ct) => c.AppsV1.PatchNamespacedDeploymentAsync(body, SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    private static JsonObject TemplatePatch(int generation, IList<V1Container> containers) => new()
    {
        ["template"] = new JsonObject
        {
            ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { [GenerationKey] = generation.ToString(CultureInfo.InvariantCulture) } },
            ["spec"] = new JsonObject { ["containers"] = JsonNode.Parse(KubernetesJson.Serialize(containers)) },
        },
    };

    /// <summary>
    /// Waits until the controllers replaced every pod of an older generation and the new pods' containers run. Bounded by progress, not by a total: the
    /// rollout fails only when the session's pods stay exactly as they are (same pods, phases, container states) for
    /// <see cref="OpenShiftBackendOptions.ReadyTimeout"/> — on a loaded node a rollout that keeps moving is slow, not
    /// stuck — or keep changing beyond <see cref="RolloutLimit"/> of them; the error then says where each pod stands.
    /// </summary>
    private async Task WaitGenerationAsync(SessionName name, int generation, CancellationToken cancellationToken)
    {
        var state = string.Empty;
        var started = time.GetTimestamp();
        var since = started;
        while (true)
        {
            var pods = await ListPodsAsync(name, cancellationToken).ConfigureAwait(false);
            var live = pods.Where(p => p.Metadata.DeletionTimestamp is null).ToList();
            // Started, not only there: a new pod's containers coming up is the slow part on a loaded node (measured),
            // and it is progress. A pod that will not heal is left to start's wait, which reports it typed.
            if (live.Count > 0 && live.All(p => Generation(p.Metadata.Annotations) == generation && (PodWaiter.IsPodRunning(p) || PodWaiter.FatalReason(p) is not null)) &&
                live.Any(p => p.Metadata.Name == SessionLabels.AgentPod(name)))
            {
                return;
            }

            var now = Describe(pods);
            if (now != state)
            {
                state = now;
                since = time.GetTimestamp();
            }

            if (time.GetElapsedTime(since) > options.ReadyTimeout || time.GetElapsedTime(started) > RolloutLimit * options.ReadyTimeout)
            {
                // No progress for a whole ReadyTimeout, or pods that keep changing without ever getting there.
                throw new BackendOperationException(
                    $"Session {name}: the rollout to upgrade generation {generation} made no progress for {options.ReadyTimeout}, or did not end within {RolloutLimit * options.ReadyTimeout} (pods: {(state.Length == 0 ? "none" : state)}); run the upgrade again to finish it.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Where each pod of the session stands: its generation, phase, whether it is going, its containers' states.</summary>
    private static string Describe(IEnumerable<V1Pod> pods) => string.Join("; ", pods.OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p =>
        string.Create(CultureInfo.InvariantCulture, $"{p.Metadata.Name} generation {Generation(p.Metadata.Annotations)} {p.Status?.Phase ?? "?"}") +
        (p.Metadata.DeletionTimestamp is null ? string.Empty : " terminating") +
        (p.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False") is { } unscheduled ? $" not scheduled ({unscheduled.Reason}: {unscheduled.Message})" : string.Empty) +
        string.Concat((p.Status?.ContainerStatuses ?? []).Select(c => $" {c.Name}:{(c.State?.Running is not null ? "running" : c.State?.Waiting?.Reason ?? c.State?.Terminated?.Reason ?? "?")}{(c.Ready ? "/ready" : string.Empty)}"))));

    private Task<V1StatefulSet?> ReadStatefulSetAsync(SessionName name, CancellationToken cancellationToken) =>
        api.GetOrNullAsync("read agent", (c, ct) => c.AppsV1.ReadNamespacedStatefulSetAsync(SessionLabels.Agent(name), api.Namespace, cancellationToken: ct), cancellationToken);

    private Task<V1Deployment?> ReadDeploymentAsync(SessionName name, CancellationToken cancellationToken) =>
        api.GetOrNullAsync("read proxy", (c, ct) => c.AppsV1.ReadNamespacedDeploymentAsync(SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken);

    private async Task<IList<V1Pod>> ListPodsAsync(SessionName name, CancellationToken cancellationToken) =>
        (await api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: SessionLabels.SessionSelector(name), cancellationToken: ct), cancellationToken).ConfigureAwait(false)).Items;

    private static int Generation(IDictionary<string, string>? annotations, string key = GenerationKey) =>
        annotations is not null && annotations.TryGetValue(key, out var value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var generation) ? generation : 0;
}
