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

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        // Read up front: under retries a delete's own 404 is ambiguous (did our attempt whose answer was lost delete it?).
        var existed = (await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0;
        var agent = SessionLabels.Agent(name);
        var proxy = SessionLabels.Proxy(name);
        var deletes = new (string What, Func<IKubernetes, CancellationToken, Task> Delete)[]
        {
            ($"StatefulSet {agent}", (c, ct) => c.AppsV1.DeleteNamespacedStatefulSetAsync(agent, Namespace, propagationPolicy: "Background", cancellationToken: ct)),
            ($"Deployment {proxy}", (c, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(proxy, Namespace, propagationPolicy: "Background", cancellationToken: ct)),
            ($"Service {agent}", (c, ct) => c.CoreV1.DeleteNamespacedServiceAsync(agent, Namespace, cancellationToken: ct)),
            ($"Service {proxy}", (c, ct) => c.CoreV1.DeleteNamespacedServiceAsync(proxy, Namespace, cancellationToken: ct)),
            ($"ConfigMap {proxy}", (c, ct) => c.CoreV1.DeleteNamespacedConfigMapAsync(proxy, Namespace, cancellationToken: ct)),
            ($"NetworkPolicy {SessionLabels.AgentEgressPolicy(name)}", (c, ct) => c.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(SessionLabels.AgentEgressPolicy(name), Namespace, cancellationToken: ct)),
            ($"NetworkPolicy {SessionLabels.ProxyIngressPolicy(name)}", (c, ct) => c.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(SessionLabels.ProxyIngressPolicy(name), Namespace, cancellationToken: ct)),

            // volumeClaimTemplate PVCs are never garbage-collected with their StatefulSet.
            ($"PersistentVolumeClaim {SessionLabels.Pvc(name)}", (c, ct) => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(SessionLabels.Pvc(name), Namespace, cancellationToken: ct)),
        };
        foreach (var (what, delete) in deletes)
        {
            await _api.DeleteAsync(what, delete, cancellationToken).ConfigureAwait(false);
        }

        // Credential Secrets and anything else carrying the session label.
        var secrets = await _api.CallAsync("list secrets", (c, ct) => c.CoreV1.ListNamespacedSecretAsync(Namespace, labelSelector: SessionLabels.SessionSelector(name), cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        foreach (var secret in secrets.Items)
        {
            var secretName = secret.Metadata.Name;
            await _api.DeleteAsync($"Secret {secretName}", (c, ct) => c.CoreV1.DeleteNamespacedSecretAsync(secretName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(_options.DeleteTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitAllGoneAsync(name, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var left = await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false);
            throw new BackendOperationException($"Session {name} was deleted but these objects were still there after {_options.DeleteTimeout}: {string.Join(", ", left)}");
        }

        if (existed)
        {
            Log.Deleted(_logger, name);
        }

        return existed;
    }

    private async Task WaitAllGoneAsync(SessionName name, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while ((await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>Every object still carrying the session's labels (plus the PVC and pod by name), as kind/name.</summary>
    private async Task<List<string>> RemainingObjectsAsync(SessionName name, CancellationToken cancellationToken)
    {
        var selector = SessionLabels.SessionSelector(name);
        var left = new List<string>();
        var sets = await _api.CallAsync("list statefulsets", (c, ct) => c.AppsV1.ListNamespacedStatefulSetAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(sets.Items.Select(i => "statefulset/" + i.Metadata.Name));
        var deployments = await _api.CallAsync("list deployments", (c, ct) => c.AppsV1.ListNamespacedDeploymentAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(deployments.Items.Select(i => "deployment/" + i.Metadata.Name));
        var pods = await _api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(pods.Items.Select(i => "pod/" + i.Metadata.Name));
        var services = await _api.CallAsync("list services", (c, ct) => c.CoreV1.ListNamespacedServiceAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(services.Items.Select(i => "service/" + i.Metadata.Name));
        var maps = await _api.CallAsync("list configmaps", (c, ct) => c.CoreV1.ListNamespacedConfigMapAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(maps.Items.Select(i => "configmap/" + i.Metadata.Name));
        var policies = await _api.CallAsync("list networkpolicies", (c, ct) => c.NetworkingV1.ListNamespacedNetworkPolicyAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(policies.Items.Select(i => "networkpolicy/" + i.Metadata.Name));
        var secrets = await _api.CallAsync("list secrets", (c, ct) => c.CoreV1.ListNamespacedSecretAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(secrets.Items.Select(i => "secret/" + i.Metadata.Name));

        // The PVC's labels come from the template, but look it up by name too: that is what leaks upstream.
        var pvc = await _api.GetOrNullAsync("read pvc", (c, ct) => c.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(SessionLabels.Pvc(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (pvc is not null)
        {
            left.Add("persistentvolumeclaim/" + pvc.Metadata.Name);
        }

        return left;
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

        if (await _api.GetOrNullAsync("read proxy ingress policy", (c, ct) => c.NetworkingV1.ReadNamespacedNetworkPolicyAsync(SessionLabels.ProxyIngressPolicy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var policy = NetworkPolicyManifests.ProxyIngress(input);
            await CreateIfMissingAsync("proxy ingress NetworkPolicy", (c, ct) => c.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }

        if (await _api.GetOrNullAsync("read agent egress policy", (c, ct) => c.NetworkingV1.ReadNamespacedNetworkPolicyAsync(SessionLabels.AgentEgressPolicy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false) is null)
        {
            var policy = NetworkPolicyManifests.AgentEgress(input);
            await CreateIfMissingAsync("agent egress NetworkPolicy", (c, ct) => c.NetworkingV1.CreateNamespacedNetworkPolicyAsync(policy, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
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

    private Task<V1StatefulSet?> ReadStatefulSetAsync(SessionName name, CancellationToken cancellationToken) =>
        _api.GetOrNullAsync("read statefulset", (c, ct) => c.AppsV1.ReadNamespacedStatefulSetAsync(SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken);
}
