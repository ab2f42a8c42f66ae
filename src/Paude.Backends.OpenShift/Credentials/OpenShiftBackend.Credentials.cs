using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Credential delivery through part Secrets (see <see cref="CredentialPodSpec"/> for why).</summary>
internal sealed partial class OpenShiftBackend
{
    /// <summary>
    /// Packages <paramref name="sources"/> into the session's part Secrets (create) and returns the part count
    /// (0: nothing to deliver). Registers the removal of every credential Secret first, so a packaging failure
    /// half-way rolls back the parts already written.
    /// </summary>
    private async Task<int> CreateCredentialSecretsAsync(SessionName name, IReadOnlyList<string> sources, List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)> created, CancellationToken cancellationToken)
    {
        if (sources.Count == 0 || _credentials is null)
        {
            return 0;
        }

        var writer = new CredentialSecretWriter(_api, _credentials);
        created.Add(($"credential Secrets of {name}", async (_, ct) => await writer.DeleteAllAsync(name, ct).ConfigureAwait(false)));
        var parts = await writer.WriteAsync(name, sources, cancellationToken).ConfigureAwait(false);
        CredentialLog.SecretsWritten(_logger, name.Value, string.Join(",", sources), parts);
        return parts;
    }

    /// <summary>
    /// On start: re-packages the host's current credentials into the Secrets and, when the part count changed,
    /// updates the pod template to mount exactly those parts, before the pod is (re)created.
    /// </summary>
    private async Task RefreshCredentialsAsync(SessionName name, V1StatefulSet statefulSet, CancellationToken cancellationToken)
    {
        var sources = SessionConfig.Credentials(statefulSet);
        if (sources.Count == 0)
        {
            return;
        }

        if (_credentials is null)
        {
            CredentialLog.NotRefreshed(_logger, name.Value, string.Join(",", sources));
            return;
        }

        var parts = await new CredentialSecretWriter(_api, _credentials).WriteAsync(name, sources, cancellationToken).ConfigureAwait(false);
        CredentialLog.SecretsWritten(_logger, name.Value, string.Join(",", sources), parts);
        var podSpec = statefulSet.Spec.Template.Spec;
        if (!CredentialPodSpec.Apply(podSpec, name, parts))
        {
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
        await _api.CallAsync($"update credential mounts of {name}", (c, ct) => c.AppsV1.PatchNamespacedStatefulSetAsync(body, SessionLabels.Agent(name), Namespace, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        CredentialLog.TemplateUpdated(_logger, name.Value, parts);
    }
}
