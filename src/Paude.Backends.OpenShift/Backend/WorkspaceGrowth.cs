using System.Globalization;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Grows a session's workspace PVC for an upgrade, the one way Kubernetes allows: a bigger
/// <c>spec.resources.requests.storage</c> on a claim whose StorageClass has <c>allowVolumeExpansion: true</c> (the
/// storage driver then grows the volume, online or at the pod's next start). Shrinking and classes that cannot expand
/// are refused before the upgrade writes anything. The StatefulSet's claim template is immutable and keeps the size
/// the session was created with; only the claim itself (which the StatefulSet never re-creates while it exists) grows.
/// </summary>
internal sealed class WorkspaceGrowth(KubeApi api)
{
    /// <summary>Refuses (<see cref="InvalidOptionsException"/>, nothing changed) a size the workspace cannot grow to.</summary>
    public async Task RequireGrowableAsync(SessionName name, long? recorded, long? wanted, CancellationToken cancellationToken)
    {
        if (wanted is not { } bytes || wanted == recorded)
        {
            return;
        }

        var pvc = await ReadAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw Refused($"the session has no workspace claim '{SessionLabels.Pvc(name)}' to grow (a new claim gets the size the session was created with)");
        var current = Size(pvc);
        if (bytes < current)
        {
            throw Refused($"{bytes} is below the workspace's current size {current}: a volume cannot shrink");
        }

        if (bytes == current)
        {
            return;
        }

        if (pvc.Spec.StorageClassName is not { Length: > 0 } className)
        {
            throw Refused("the workspace claim has no storage class, so nothing says its volume can grow");
        }

        var storageClass = await api.GetOrNullAsync($"read storage class {className}", (c, ct) => c.StorageV1.ReadStorageClassAsync(className, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (storageClass?.AllowVolumeExpansion != true)
        {
            throw Refused(storageClass is null
                ? $"the workspace's storage class '{className}' does not exist, so nothing says its volume can grow"
                : $"the workspace's storage class '{className}' does not allow volume expansion (allowVolumeExpansion is not true)");
        }
    }

    /// <summary>Sets the claim's request to <paramref name="wanted"/> when it is smaller (idempotent; never shrinks).</summary>
    public async Task GrowAsync(SessionName name, long? wanted, CancellationToken cancellationToken)
    {
        if (wanted is not { } bytes || await ReadAsync(name, cancellationToken).ConfigureAwait(false) is not { } pvc || Size(pvc) >= bytes)
        {
            return;
        }

        var patch = new V1Patch(OpenShiftJson.MergePatch(new Dictionary<string, string> { ["storage"] = SessionPlacement.Bytes(bytes) }, "spec", "resources", "requests"), V1Patch.PatchType.MergePatch);
        await api.CallAsync($"grow the workspace of {name}", (c, ct) => c.CoreV1.PatchNamespacedPersistentVolumeClaimAsync(patch, SessionLabels.Pvc(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }

    private Task<V1PersistentVolumeClaim?> ReadAsync(SessionName name, CancellationToken cancellationToken) =>
        api.GetOrNullAsync("read workspace claim", (c, ct) => c.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(SessionLabels.Pvc(name), api.Namespace, cancellationToken: ct), cancellationToken);

    private static long Size(V1PersistentVolumeClaim pvc) =>
        pvc.Spec.Resources?.Requests is { } requests && requests.TryGetValue("storage", out var storage) ? storage.ToInt64() : 0;

    private static InvalidOptionsException Refused(string why) =>
        new("Invalid session upgrade", [string.Create(CultureInfo.InvariantCulture, $"WorkspaceSizeBytes: {why}; the session was not changed")]);
}
