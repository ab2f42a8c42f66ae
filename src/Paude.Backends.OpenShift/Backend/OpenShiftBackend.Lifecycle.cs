using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
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
        await RepairProxyAsync(name, statefulSet, cancellationToken).ConfigureAwait(false);
        await RefreshCredentialsAsync(name, statefulSet, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Recreates a missing proxy ConfigMap, Service, Deployment or NetworkPolicy from the stored session config.</summary>
    private async Task RepairProxyAsync(SessionName name, V1StatefulSet statefulSet, CancellationToken cancellationToken)
    {
        var input = SessionConfig.ToInput(name, Namespace, statefulSet);
        var proxy = SessionLabels.Proxy(name);
        var configMap = await _api.GetOrNullAsync("read proxy config", (c, ct) => c.CoreV1.ReadNamespacedConfigMapAsync(proxy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (configMap is null)
        {
            configMap = ProxyManifests.ConfigMap(input, input.Egress);
            var body = configMap;
            await CreateIfMissingAsync($"ConfigMap {proxy}", (c, ct) => c.CoreV1.CreateNamespacedConfigMapAsync(body, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        if (await _api.GetOrNullAsync("read proxy service", (c, ct) => c.CoreV1.ReadNamespacedServiceAsync(proxy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var service = ProxyManifests.Service(input);
            await CreateIfMissingAsync($"Service {proxy}", (c, ct) => c.CoreV1.CreateNamespacedServiceAsync(service, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        if (await _api.GetOrNullAsync("read proxy policy", (c, ct) => c.NetworkingV1.ReadNamespacedNetworkPolicyAsync(SessionLabels.ProxyPolicy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var policy = NetworkPolicyManifests.Proxy(input);
            await CreateIfMissingAsync("proxy NetworkPolicy", (c, ct) => c.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        if (await _api.GetOrNullAsync("read agent policy", (c, ct) => c.NetworkingV1.ReadNamespacedNetworkPolicyAsync(SessionLabels.AgentPolicy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var policy = NetworkPolicyManifests.Agent(input);
            await CreateIfMissingAsync("agent NetworkPolicy", (c, ct) => c.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        if (await _api.GetOrNullAsync("read proxy deployment", (c, ct) => c.AppsV1.ReadNamespacedDeploymentAsync(proxy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var deployment = ProxyManifests.Deployment(input, _options, ProxyManifests.ConfigHash(configMap.Data));
            await CreateIfMissingAsync($"Deployment {proxy}", (c, ct) => c.AppsV1.CreateNamespacedDeploymentAsync(deployment, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CreateIfMissingAsync(string what, Func<IKubernetes, CancellationToken, Task> create, CancellationToken cancellationToken)
    {
        try
        {
            await _api.CreateAsync(what, create, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectExistsException)
        {
            // Another process repaired it first.
        }
    }

    /// <summary>The session's StatefulSet; one of that name without the session's labels is not the session's (null).</summary>
    private async Task<V1StatefulSet?> ReadStatefulSetAsync(SessionName name, CancellationToken cancellationToken)
    {
        var statefulSet = await _api.GetOrNullAsync("read statefulset", (c, ct) => c.AppsV1.ReadNamespacedStatefulSetAsync(SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return statefulSet?.Metadata.Labels is { } labels && labels.TryGetValue(SessionLabelKeys.SessionName, out var owner) && owner == name.Value ? statefulSet : null;
    }
}
