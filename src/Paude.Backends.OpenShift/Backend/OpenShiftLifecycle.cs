using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Objects;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Start, stop and delete of an existing session. Start repairs what went missing from the stored record, delivers
/// the host's credentials again and scales up; stop scales to zero (the PVC stays); delete walks
/// <see cref="SessionObjects"/> by label and UID (see <see cref="SessionObjectStore"/>).
/// </summary>
internal sealed class OpenShiftLifecycle(string backendName, KubeApi api, OpenShiftSessionReader reader, SessionObjectStore objects, CredentialDelivery credentials, PodWaiter waiter, OpenShiftBackendOptions options, ILogger logger)
{
    private string Namespace => api.Namespace;

    public async Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken)
    {
        var statefulSet = await reader.RequireStatefulSetAsync(name, cancellationToken).ConfigureAwait(false);
        await objects.RepairAsync(SessionObjectContext.FromRecord(name, Namespace, statefulSet, options), cancellationToken).ConfigureAwait(false);
        await credentials.RefreshAsync(name, statefulSet, cancellationToken).ConfigureAwait(false);
        await ScaleAsync(name, 1, cancellationToken).ConfigureAwait(false);
        await waiter.WaitRunningAsync(name, cancellationToken).ConfigureAwait(false);
        return await reader.GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken)
    {
        _ = await reader.RequireStatefulSetAsync(name, cancellationToken).ConfigureAwait(false);
        await ScaleAsync(name, 0, cancellationToken).ConfigureAwait(false);
        await waiter.WaitNoPodsAsync(name, options.DeleteTimeout, cancellationToken).ConfigureAwait(false);
        return await reader.GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken)
    {
        var existed = await objects.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        // The host's state of the session (two-way sync's bases) goes with it; see SessionStateFolder.
        if (SessionStateFolder.Forget(backendName, name) is { } reason)
        {
            Log.StateNotRemoved(logger, name.Value, reason);
        }

        if (existed)
        {
            Log.Deleted(logger, name);
        }

        return existed;
    }

    private async Task ScaleAsync(SessionName name, int replicas, CancellationToken cancellationToken)
    {
        var patch = new V1Patch($"{{\"spec\":{{\"replicas\":{replicas}}}}}", V1Patch.PatchType.MergePatch);
        await api.CallAsync($"scale proxy of {name}", (c, ct) => c.AppsV1.PatchNamespacedDeploymentAsync(patch, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        await api.CallAsync($"scale agent of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(patch, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }
}
