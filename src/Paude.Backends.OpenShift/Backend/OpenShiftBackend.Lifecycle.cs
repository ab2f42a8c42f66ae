using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Objects;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Start, stop and delete.</summary>
internal sealed partial class OpenShiftBackend
{
    /// <inheritdoc />
    public async Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        var statefulSet = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(name, Name);
        await _objects.RepairAsync(SessionObjectContext.FromRecord(name, Namespace, statefulSet, _options), cancellationToken).ConfigureAwait(false);
        await _credentialDelivery.RefreshAsync(name, statefulSet, cancellationToken).ConfigureAwait(false);
        await ScaleAsync(name, 1, cancellationToken).ConfigureAwait(false);
        await _waiter.WaitRunningAsync(name, cancellationToken).ConfigureAwait(false);
        return await GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        _ = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false)
            ?? throw new SessionNotFoundException(name, Name);
        await ScaleAsync(name, 0, cancellationToken).ConfigureAwait(false);
        await _waiter.WaitNoPodsAsync(name, _options.DeleteTimeout, cancellationToken).ConfigureAwait(false);
        return await GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private async Task ScaleAsync(SessionName name, int replicas, CancellationToken cancellationToken)
    {
        var patch = new V1Patch($"{{\"spec\":{{\"replicas\":{replicas}}}}}", V1Patch.PatchType.MergePatch);
        await _api.CallAsync($"scale proxy of {name}", (c, ct) => c.AppsV1.PatchNamespacedDeploymentAsync(patch, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        await _api.CallAsync($"scale agent of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(patch, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
    }
}
