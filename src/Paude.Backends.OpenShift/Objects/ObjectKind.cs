using k8s;
using k8s.Models;

namespace Paude.Backends.OpenShift.Objects;

/// <summary>
/// One kind of Kubernetes object a session owns, its typed client calls written once: list by label, read, create
/// and delete one by name. <see cref="SessionObjects"/> says which objects of each kind a session has.
/// </summary>
/// <param name="Name">The kind as messages name it (<c>ConfigMap</c>).</param>
/// <param name="DeleteOrder">
/// When delete removes this kind (workloads first, so no pod is re-created meanwhile); <c>null</c>: never deleted
/// directly, its owner's garbage collection removes it and delete only waits until it is gone.
/// </param>
/// <param name="List">Lists the metadata of the objects that match a label selector in a namespace.</param>
/// <param name="Read">Reads one by name (throws the client's 404 when missing).</param>
/// <param name="Create">Creates one from its manifest.</param>
/// <param name="Delete">Deletes one by name with the given options.</param>
internal sealed record ObjectKind(
    string Name,
    int? DeleteOrder,
    Func<IKubernetes, string, string, CancellationToken, Task<IEnumerable<V1ObjectMeta>>> List,
    Func<IKubernetes, string, string, CancellationToken, Task<object>> Read,
    Func<IKubernetes, object, string, CancellationToken, Task> Create,
    Func<IKubernetes, string, string, V1DeleteOptions?, CancellationToken, Task> Delete)
{
    public static readonly ObjectKind StatefulSet = new(
        "StatefulSet",
        0,
        async (c, ns, sel, ct) => (await c.AppsV1.ListNamespacedStatefulSetAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.AppsV1.ReadNamespacedStatefulSetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.AppsV1.CreateNamespacedStatefulSetAsync((V1StatefulSet)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.AppsV1.DeleteNamespacedStatefulSetAsync(n, ns, o ?? Background, cancellationToken: ct));

    public static readonly ObjectKind Deployment = new(
        "Deployment",
        1,
        async (c, ns, sel, ct) => (await c.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.AppsV1.ReadNamespacedDeploymentAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.AppsV1.CreateNamespacedDeploymentAsync((V1Deployment)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(n, ns, o ?? Background, cancellationToken: ct));

    public static readonly ObjectKind Service = new(
        "Service",
        2,
        async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedServiceAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoreV1.CreateNamespacedServiceAsync((V1Service)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedServiceAsync(n, ns, o, cancellationToken: ct));

    public static readonly ObjectKind ConfigMap = new(
        "ConfigMap",
        3,
        async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedConfigMapAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoreV1.CreateNamespacedConfigMapAsync((V1ConfigMap)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedConfigMapAsync(n, ns, o, cancellationToken: ct));

    public static readonly ObjectKind NetworkPolicy = new(
        "NetworkPolicy",
        4,
        async (c, ns, sel, ct) => (await c.NetworkingV1.ListNamespacedNetworkPolicyAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.NetworkingV1.ReadNamespacedNetworkPolicyAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.NetworkingV1.CreateNamespacedNetworkPolicyAsync((V1NetworkPolicy)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(n, ns, o, cancellationToken: ct));

    // volumeClaimTemplate PVCs are never garbage-collected with their StatefulSet; they carry the template's labels.
    public static readonly ObjectKind PersistentVolumeClaim = new(
        "PersistentVolumeClaim",
        5,
        async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoreV1.CreateNamespacedPersistentVolumeClaimAsync((V1PersistentVolumeClaim)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(n, ns, o, cancellationToken: ct));

    public static readonly ObjectKind Secret = new(
        "Secret",
        6,
        async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedSecretAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoreV1.CreateNamespacedSecretAsync((V1Secret)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedSecretAsync(n, ns, o, cancellationToken: ct));

    /// <summary>The proxy Deployment's ReplicaSets: they carry its pod template's labels; garbage-collected with it.</summary>
    public static readonly ObjectKind ReplicaSet = new(
        "ReplicaSet",
        null,
        async (c, ns, sel, ct) => (await c.AppsV1.ListNamespacedReplicaSetAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.AppsV1.ReadNamespacedReplicaSetAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.AppsV1.CreateNamespacedReplicaSetAsync((V1ReplicaSet)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.AppsV1.DeleteNamespacedReplicaSetAsync(n, ns, o, cancellationToken: ct));

    /// <summary>The agent's and the proxy's pods: their controllers make and remove them.</summary>
    public static readonly ObjectKind Pod = new(
        "Pod",
        null,
        async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedPodAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoreV1.ReadNamespacedPodAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoreV1.CreateNamespacedPodAsync((V1Pod)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedPodAsync(n, ns, o, cancellationToken: ct));

    /// <summary>The session's sync Lease (<c>paude-sync-&lt;session&gt;</c>): written by syncs and upgrades, removed with the session.</summary>
    public static readonly ObjectKind Lease = new(
        "Lease",
        7,
        async (c, ns, sel, ct) => (await c.CoordinationV1.ListNamespacedLeaseAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
        async (c, n, ns, ct) => await c.CoordinationV1.ReadNamespacedLeaseAsync(n, ns, cancellationToken: ct).ConfigureAwait(false),
        (c, o, ns, ct) => c.CoordinationV1.CreateNamespacedLeaseAsync((V1Lease)o, ns, cancellationToken: ct),
        (c, n, ns, o, ct) => c.CoordinationV1.DeleteNamespacedLeaseAsync(n, ns, o, cancellationToken: ct));

    /// <summary>Workloads go in the background: their pods follow by garbage collection, delete waits for them.</summary>
    private static V1DeleteOptions Background => new() { PropagationPolicy = "Background" };
}
