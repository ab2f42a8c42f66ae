using System.Runtime.CompilerServices;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Objects;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Egress;

/// <summary>
/// A session's egress: the allow-list lives in the proxy ConfigMap (and is recorded on the StatefulSet); a change
/// rolls out a new proxy pod, never touching the agent. Blocked requests come from squid's access log in the proxy pod.
/// </summary>
internal sealed class OpenShiftEgress(KubeApi api, PodExec exec, OpenShiftSessionReader reader, SessionObjectStore objects, PodWaiter waiter, ProxyListening listening, OpenShiftBackendOptions options, ILogger logger)
{
    private string Namespace => api.Namespace;

    public async Task<EgressPolicy> GetPolicyAsync(SessionName name, CancellationToken cancellationToken)
    {
        var configMap = await api.GetOrNullAsync("read proxy config", (c, ct) => c.CoreV1.ReadNamespacedConfigMapAsync(SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (configMap?.Data is { } data && data.TryGetValue(SessionLabels.PolicyKey, out var entries))
        {
            return EgressPolicy.Parse([entries]);
        }

        var statefulSet = await reader.RequireStatefulSetAsync(name, cancellationToken).ConfigureAwait(false);
        return SessionConfig.Egress(statefulSet) ?? EgressPolicy.Default;
    }

    public async Task SetPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var statefulSet = await reader.RequireStatefulSetAsync(name, cancellationToken).ConfigureAwait(false);
        await objects.RepairAsync(SessionObjectContext.FromRecord(name, Namespace, statefulSet, options), cancellationToken).ConfigureAwait(false);
        var data = ProxyManifests.ConfigData(policy);
        var hash = ProxyManifests.ConfigHash(data);
        var dataPatch = new V1Patch(OpenShiftJson.MergePatch(data, "data"), V1Patch.PatchType.MergePatch);
        await api.CallAsync("update proxy config", (c, ct) => c.CoreV1.PatchNamespacedConfigMapAsync(dataPatch, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var annotations = new Dictionary<string, string> { [SessionLabelKeys.AllowedDomains] = string.Join(",", policy.Entries) };
        var setPatch = new V1Patch(OpenShiftJson.MergePatch(annotations, "metadata", "annotations"), V1Patch.PatchType.MergePatch);
        await api.CallAsync("record allow-list", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(setPatch, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);

        // A new hash on the pod template rolls out a proxy pod with the new config; the agent is not touched.
        var template = new Dictionary<string, string> { [SessionLabels.ConfigHash] = hash };
        var rollout = new V1Patch(OpenShiftJson.MergePatch(template, "spec", "template", "metadata", "annotations"), V1Patch.PatchType.MergePatch);
        var deployment = await api.CallAsync("roll out proxy", (c, ct) => c.AppsV1.PatchNamespacedDeploymentAsync(rollout, SessionLabels.Proxy(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        Log.EgressChanged(logger, name, hash);
        if ((deployment.Spec.Replicas ?? 0) > 0)
        {
            await waiter.WaitProxyAsync(name, cancellationToken).ConfigureAwait(false);
            await listening.WaitAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var selector = SessionLabels.SessionSelector(name) + $",{SessionLabelKeys.Role}={SessionLabelKeys.RoleProxy}";
        var pods = await api.CallAsync("list proxy pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        var pod = pods.Items.FirstOrDefault(p => PodWaiter.IsPodRunning(p) && p.Metadata.DeletionTimestamp is null);
        if (pod is null)
        {
            var info = await reader.GetRequiredAsync(name, cancellationToken).ConfigureAwait(false);
            throw new SessionNotRunningException(name, $"{info.Status}, no running proxy pod");
        }

        var process = await exec.StartAsync(pod.Metadata.Name, SessionLabels.ProxyContainer, new ProcessSpec(["cat", "--", SquidConfig.AccessLogPath]), cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stderr = BoundedText.ReadAsync(process.StandardError, cancellationToken);

            // The log comes from the container: untrusted. The parser accepts only lines of the exact format.
            using var lines = new StreamReader(process.StandardOutput, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
            while (await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                foreach (var blocked in SquidConfig.ParseBlockedRequests(new StringReader(line)))
                {
                    yield return blocked;
                }
            }

            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            if (exit != 0)
            {
                throw new BackendOperationException($"Reading the proxy log of session {name} failed (exit {exit}): {error}");
            }
        }
    }
}
