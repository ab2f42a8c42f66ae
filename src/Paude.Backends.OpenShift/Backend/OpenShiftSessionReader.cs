using System.Runtime.CompilerServices;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>
/// Listing and state: reads sessions from the live objects (the StatefulSet is the record) and derives their status
/// with the same meaning as on Podman (<see cref="SessionStatusRules"/>).
/// </summary>
internal sealed class OpenShiftSessionReader(KubeApi api, string backendName, ContainerResources agentDefaults)
{
    /// <summary>The session's StatefulSet; one of that name without the session's labels is not the session's (null).</summary>
    public async Task<V1StatefulSet?> ReadStatefulSetAsync(SessionName name, CancellationToken cancellationToken)
    {
        var statefulSet = await api.GetOrNullAsync("read statefulset", (c, ct) => c.AppsV1.ReadNamespacedStatefulSetAsync(SessionLabels.Agent(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return statefulSet?.Metadata.Labels is { } labels && labels.TryGetValue(SessionLabelKeys.SessionName, out var owner) && owner == name.Value ? statefulSet : null;
    }

    /// <summary>The session's StatefulSet (its record); a missing session is <see cref="SessionNotFoundException"/>.</summary>
    public async Task<V1StatefulSet> RequireStatefulSetAsync(SessionName name, CancellationToken cancellationToken) =>
        await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name, backendName);

    public async Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken)
    {
        var statefulSet = await ReadStatefulSetAsync(name, cancellationToken).ConfigureAwait(false);
        if (statefulSet is null)
        {
            return null;
        }

        var selector = SessionLabels.SessionSelector(name);
        var pods = await api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var proxy = await api.GetOrNullAsync("read proxy deployment", (c, ct) => c.AppsV1.ReadNamespacedDeploymentAsync(SessionLabels.Proxy(name), api.Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        return Describe(name, statefulSet, pods.Items, proxy);
    }

    public async IAsyncEnumerable<SessionInfo> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sets = await api.CallAsync("list statefulsets", (c, ct) => c.AppsV1.ListNamespacedStatefulSetAsync(api.Namespace, labelSelector: SessionLabels.AllAgentsSelector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var pods = await api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(api.Namespace, labelSelector: $"{SessionLabelKeys.App}={SessionLabelKeys.AppValue}", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var proxies = await api.CallAsync("list deployments", (c, ct) => c.AppsV1.ListNamespacedDeploymentAsync(api.Namespace, labelSelector: $"{SessionLabelKeys.App}={SessionLabelKeys.AppValue}", cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        foreach (var set in sets.Items.OrderBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            if (set.Metadata.Labels?.TryGetValue(SessionLabelKeys.SessionName, out var raw) != true || !SessionName.TryParse(raw, out var parsed))
            {
                continue;
            }

            var name = parsed!.Value;
            var sessionPods = pods.Items.Where(p => Label(p, SessionLabelKeys.SessionName) == name.Value).ToList();
            var proxy = proxies.Items.FirstOrDefault(d => d.Metadata.Name == SessionLabels.Proxy(name));
            yield return Describe(name, set, sessionPods, proxy);
        }
    }

    public async Task<SessionInfo> GetRequiredAsync(SessionName name, CancellationToken cancellationToken) =>
        await GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name, backendName);

    private SessionInfo Describe(SessionName name, V1StatefulSet statefulSet, IList<V1Pod> pods, V1Deployment? proxy)
    {
        var (status, reason) = DeriveStatus(statefulSet, pods, proxy);
        return new SessionInfo(name, backendName, status)
        {
            StatusReason = reason,
            Workspace = SessionConfig.Annotation(statefulSet, SessionLabelKeys.Workspace),
            CreatedAt = SessionConfig.CreatedAt(statefulSet),
            AgentImage = SessionConfig.Annotation(statefulSet, SessionLabelKeys.AgentImage),
            Egress = SessionConfig.Egress(statefulSet),
            Limits = AgentLimitsReader.Read(statefulSet, agentDefaults),
        };
    }

    private static string? Label(V1Pod pod, string key) =>
        pod.Metadata.Labels is { } labels && labels.TryGetValue(key, out var value) ? value : null;

    internal static (SessionStatus Status, string? Reason) DeriveStatus(V1StatefulSet statefulSet, IList<V1Pod> pods, V1Deployment? proxy)
    {
        if ((statefulSet.Spec.Replicas ?? 1) == 0)
        {
            return (SessionStatus.Stopped, null);
        }

        var agent = pods.FirstOrDefault(p => Label(p, SessionLabelKeys.Role) == SessionLabelKeys.RoleAgent);
        return SessionStatusRules.Combine(AgentStatus(agent), () => ProxyProblem(pods, proxy));
    }

    private static (SessionStatus Status, string? Reason) AgentStatus(V1Pod? agent)
    {
        if (agent is null)
        {
            return (SessionStatus.Pending, "the agent pod is not created yet");
        }

        if (PodWaiter.FatalReason(agent) is { } fatal)
        {
            return (SessionStatus.Error, $"agent pod: {fatal}");
        }

        return PodWaiter.IsPodRunning(agent)
            ? (SessionStatus.Running, null)
            : (SessionStatus.Pending, $"agent pod is {agent.Status?.Phase ?? "Pending"}");
    }

    private static string? ProxyProblem(IList<V1Pod> pods, V1Deployment? proxy)
    {
        if (proxy is null)
        {
            return "the proxy Deployment is missing";
        }

        var proxyPods = pods.Where(p => Label(p, SessionLabelKeys.Role) == SessionLabelKeys.RoleProxy).ToList();
        if (PodWaiter.IsProxyReady(proxy, proxyPods))
        {
            return null;
        }

        var proxyPod = proxyPods.FirstOrDefault();
        var why = proxyPod is null ? "no proxy pod" : PodWaiter.FatalReason(proxyPod) ?? proxyPod.Status?.Phase ?? "Pending";
        return $"the proxy has no ready replica ({why})";
    }
}
