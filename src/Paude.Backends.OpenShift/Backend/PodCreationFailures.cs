using k8s;
using Paude.Errors;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// A controller that cannot create its pod at all (OpenShift SCC or quota admission: <c>FailedCreate</c> events with
/// "is forbidden") never produces a pod to watch, so without this check a readiness wait would only end at its
/// timeout. The events are matched by the owner's UID, so those of an earlier session of the same name do not count.
/// </summary>
internal static class PodCreationFailures
{
    /// <summary>Throws when a StatefulSet or ReplicaSet matching <paramref name="ownerSelector"/> was refused its pod.</summary>
    public static async Task ThrowIfForbiddenAsync(KubeApi api, bool statefulSet, string ownerSelector, CancellationToken cancellationToken)
    {
        var owners = statefulSet
            ? (await api.CallAsync("list statefulsets", (c, ct) => c.AppsV1.ListNamespacedStatefulSetAsync(api.Namespace, labelSelector: ownerSelector, cancellationToken: ct), cancellationToken).ConfigureAwait(false))
                .Items.Select(s => (Kind: "StatefulSet", s.Metadata.Name, s.Metadata.Uid))
            : (await api.CallAsync("list replicasets", (c, ct) => c.AppsV1.ListNamespacedReplicaSetAsync(api.Namespace, labelSelector: ownerSelector, cancellationToken: ct), cancellationToken).ConfigureAwait(false))
                .Items.Where(r => (r.Spec?.Replicas ?? 0) > 0).Select(r => (Kind: "ReplicaSet", r.Metadata.Name, r.Metadata.Uid));
        foreach (var (kind, name, uid) in owners.ToList())
        {
            var events = await api.CallAsync("list events", (c, ct) => c.CoreV1.ListNamespacedEventAsync(api.Namespace, fieldSelector: $"involvedObject.uid={uid},reason=FailedCreate", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
            var refused = events.Items
                .Where(e => e.Message?.Contains("is forbidden", StringComparison.Ordinal) == true)
                .OrderBy(e => e.LastTimestamp ?? e.EventTime ?? e.Metadata.CreationTimestamp)
                .LastOrDefault();
            if (refused is not null)
            {
                throw new BackendOperationException($"{kind} {name} cannot create its pod (admission refused it): {refused.Message}");
            }
        }
    }
}
