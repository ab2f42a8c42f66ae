using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Leases;

/// <summary>
/// The session's sync Lease (<c>coordination.k8s.io/v1</c>, <c>paude-sync-&lt;session&gt;</c>, carrying the session's
/// labels so the session's delete removes it, and owned by the session's StatefulSet so the cluster's garbage collector
/// removes one written after that delete, by a sync that was waiting for it and then killed) on the API: read, the
/// owner, create, replace and delete, each write guarded by
/// optimistic concurrency (create: the name; replace: <c>resourceVersion</c>; delete: uid and resourceVersion
/// preconditions). A write that lost a race comes back as <c>null</c>, never as an error: the caller re-reads and decides.
/// </summary>
internal sealed class SyncLeaseApi(KubeApi api)
{
    private static readonly HttpStatusCode[] Conflict = [HttpStatusCode.Conflict];
    private static readonly HttpStatusCode[] ConflictOrGone = [HttpStatusCode.Conflict, HttpStatusCode.NotFound];

    /// <summary>The Lease's name.</summary>
    public static string Name(SessionName session) => $"paude-sync-{session.Value}";

    /// <summary>How messages name the Lease: <c>Lease team-a/paude-sync-x</c>.</summary>
    public string Describe(SessionName session) => $"Lease {api.Namespace}/{Name(session)}";

    /// <summary>The Lease, or <c>null</c> when there is none.</summary>
    public Task<V1Lease?> ReadAsync(SessionName session, CancellationToken cancellationToken) =>
        api.GetOrNullAsync($"read {Describe(session)}", (c, ct) => c.CoordinationV1.ReadNamespacedLeaseAsync(Name(session), api.Namespace, cancellationToken: ct), cancellationToken);

    /// <summary>
    /// The session's StatefulSet as the Lease's owner, or <c>null</c> when the session does not exist (deleted): no Lease
    /// is written for it then, as nothing would remove it.
    /// </summary>
    public async Task<V1OwnerReference?> OwnerAsync(SessionName session, CancellationToken cancellationToken)
    {
        var statefulSet = await api.GetOrNullAsync($"read the owner of {Describe(session)}", (c, ct) => c.AppsV1.ReadNamespacedStatefulSetAsync(SessionLabels.Agent(session), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return statefulSet is null ? null : new V1OwnerReference
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Name = statefulSet.Metadata.Name,
            Uid = statefulSet.Metadata.Uid,
        };
    }

    /// <summary>
    /// Whether <paramref name="lease"/> belongs to an earlier session of the same name: it names an owner, and not
    /// <paramref name="owner"/> (the session's StatefulSet now). Its holder synced a session that is gone.
    /// </summary>
    public static bool OfEarlierSession(V1Lease lease, V1OwnerReference owner) =>
        lease.Metadata.OwnerReferences is { Count: > 0 } owners && !owners.Any(o => o.Uid == owner.Uid);

    /// <summary>Creates the Lease held by <paramref name="holder"/>; <c>null</c> when one exists (someone else's, or ours from a retry).</summary>
    public async Task<V1Lease?> CreateAsync(SessionName session, V1OwnerReference owner, V1LeaseSpec holder, CancellationToken cancellationToken)
    {
        var lease = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta { Name = Name(session), Labels = SessionLabels.ForRole(session, Role), OwnerReferences = [owner] },
            Spec = holder,
        };
        var (created, _) = await api.TryCallAsync($"create {Describe(session)}", (c, ct) => c.CoordinationV1.CreateNamespacedLeaseAsync(lease, api.Namespace, cancellationToken: ct), Conflict, cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>
    /// Writes <paramref name="spec"/> over <paramref name="current"/> if it is still that version, owned by
    /// <paramref name="owner"/> (a renewal keeps the owner it has); <c>Lease</c> is the new version, <c>null</c> with
    /// <c>Gone</c> false when it changed meanwhile, with <c>Gone</c> true when it was deleted.
    /// </summary>
    public async Task<(V1Lease? Lease, bool Gone)> ReplaceAsync(SessionName session, V1Lease current, V1OwnerReference? owner, V1LeaseSpec spec, CancellationToken cancellationToken)
    {
        var labels = SessionLabels.ForRole(session, Role);
        var next = new V1Lease
        {
            ApiVersion = "coordination.k8s.io/v1",
            Kind = "Lease",
            Metadata = new V1ObjectMeta
            {
                Name = Name(session),
                Labels = labels,
                ResourceVersion = current.Metadata.ResourceVersion,
                OwnerReferences = owner is null ? current.Metadata.OwnerReferences : [owner],
            },
            Spec = spec,
        };
        var (replaced, status) = await api.TryCallAsync($"write {Describe(session)}", (c, ct) => c.CoordinationV1.ReplaceNamespacedLeaseAsync(next, Name(session), api.Namespace, cancellationToken: ct), ConflictOrGone, cancellationToken).ConfigureAwait(false);
        return (replaced, status == HttpStatusCode.NotFound);
    }

    /// <summary>Deletes <paramref name="current"/> if it is still that version; <c>false</c> when it changed or went meanwhile.</summary>
    public async Task<bool> DeleteAsync(SessionName session, V1Lease current, CancellationToken cancellationToken)
    {
        var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = current.Metadata.Uid, ResourceVersion = current.Metadata.ResourceVersion } };
        var (_, status) = await api.TryCallAsync<object>(
            $"delete {Describe(session)}",
            async (c, ct) =>
            {
                try
                {
                    return await c.CoordinationV1.DeleteNamespacedLeaseAsync(Name(session), api.Namespace, options, cancellationToken: ct).ConfigureAwait(false);
                }
                catch (JsonException)
                {
                    // A 2xx answer with the deleted object instead of a Status: deleted all the same.
                    return new object();
                }
            },
            ConflictOrGone,
            cancellationToken).ConfigureAwait(false);
        return status is null;
    }

    /// <summary>The value of the role label on the Lease (the session's other objects are agent or proxy).</summary>
    public const string Role = "sync";
}
