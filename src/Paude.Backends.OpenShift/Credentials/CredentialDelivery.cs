using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Credentials;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>
/// Credential delivery through part Secrets (see <see cref="CredentialPodSpec"/> for why): written on create,
/// re-packaged from the host on every start. Without a registered packager nothing is delivered.
/// </summary>
internal sealed class CredentialDelivery(KubeApi api, ICredentialPackager? credentials, OpenShiftBackendOptions options, TimeProvider timeProvider, ILogger logger)
{
    private string Namespace => api.Namespace;

    /// <summary>
    /// Packages <paramref name="sources"/> into the session's part Secrets (create) and returns the part count
    /// (0: nothing to deliver). Registers the removal of every credential Secret first, so a packaging failure
    /// half-way rolls back the parts already written.
    /// </summary>
    public async Task<int> CreateAsync(SessionName name, IReadOnlyList<string> sources, List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)> created, CancellationToken cancellationToken)
    {
        if (sources.Count == 0 || credentials is null)
        {
            return 0;
        }

        var writer = new CredentialSecretWriter(api, credentials);
        created.Add(($"credential Secrets of {name}", async (_, ct) => await writer.DeleteAllAsync(name, ct).ConfigureAwait(false)));
        var parts = await writer.WriteAsync(name, sources, cancellationToken).ConfigureAwait(false);
        CredentialLog.SecretsWritten(logger, name.Value, string.Join(",", sources), parts);
        return parts;
    }

    /// <summary>
    /// On start: re-packages the host's current credentials into the Secrets and, when the part count changed,
    /// updates the pod template to mount exactly those parts, before the pod is (re)created.
    /// </summary>
    public async Task RefreshAsync(SessionName name, V1StatefulSet statefulSet, CancellationToken cancellationToken)
    {
        var sources = SessionConfig.Credentials(statefulSet);
        if (sources.Count == 0)
        {
            return;
        }

        if (credentials is null)
        {
            CredentialLog.NotRefreshed(logger, name.Value, string.Join(",", sources));
            return;
        }

        var parts = await new CredentialSecretWriter(api, credentials).WriteAsync(name, sources, cancellationToken).ConfigureAwait(false);
        CredentialLog.SecretsWritten(logger, name.Value, string.Join(",", sources), parts);
        var podSpec = statefulSet.Spec.Template.Spec;
        if (!CredentialPodSpec.Apply(podSpec, name, parts))
        {
            await ReplaceCrashingAgentPodAsync(name, cancellationToken).ConfigureAwait(false);
            return;
        }

        // A merge patch replaces both lists whole; no resourceVersion race with the controller's status writes.
        var patch = new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["template"] = new JsonObject
                {
                    ["spec"] = new JsonObject
                    {
                        ["volumes"] = JsonNode.Parse(KubernetesJson.Serialize(podSpec.Volumes)),
                        ["containers"] = JsonNode.Parse(KubernetesJson.Serialize(podSpec.Containers)),
                    },
                },
            },
        };
        var body = new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
        await api.CallAsync($"update credential mounts of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(body, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        CredentialLog.TemplateUpdated(logger, name.Value, parts);
    }

    /// <summary>
    /// A pod that keeps failing (e.g. its restore step refused parts that were tampered with or half-refreshed) holds
    /// the Secret contents it was started with; delete it so the StatefulSet recreates it from the Secrets just
    /// written. A pod that is running or merely starting is left alone. Waits until the old pod is gone, so the
    /// readiness wait that follows does not judge the old pod's state.
    /// </summary>
    private async Task ReplaceCrashingAgentPodAsync(SessionName name, CancellationToken cancellationToken)
    {
        var podName = SessionLabels.AgentPod(name);
        var pod = await api.GetOrNullAsync("read agent pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(podName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        if (pod is null || pod.Metadata.DeletionTimestamp is not null)
        {
            return;
        }

        var restarted = pod.Status?.ContainerStatuses?.Any(c => c.RestartCount > 0) == true;
        if (PodWaiter.FatalReason(pod) is null && !(restarted && !PodWaiter.IsPodRunning(pod)))
        {
            return;
        }

        var uid = pod.Metadata.Uid;
        CredentialLog.ReplacingPod(logger, name.Value, podName);
        await api.DeleteAsync($"Pod {podName}", (c, ct) => c.CoreV1.DeleteNamespacedPodAsync(podName, Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(options.DeleteTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        while ((await api.GetOrNullAsync("read agent pod", (c, ct) => c.CoreV1.ReadNamespacedPodAsync(podName, Namespace, cancellationToken: ct), linked.Token).ConfigureAwait(false))?.Metadata.Uid == uid)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), timeProvider, linked.Token).ConfigureAwait(false);
        }
    }
}
