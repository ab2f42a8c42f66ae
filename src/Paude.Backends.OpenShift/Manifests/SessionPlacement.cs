using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// The spec's cluster part in the pod templates: workspace size and class on the PVC, node selector and tolerations
/// on both pods (a session on a tainted or labelled pool keeps its proxy there too), the session's pull secrets on
/// top of the backend's, and the agent's requests and GPUs.
/// </summary>
internal static class SessionPlacement
{
    /// <summary>The extended resource of NVIDIA's device plugin.</summary>
    public const string GpuResource = "nvidia.com/gpu";

    /// <summary>What of a spec this backend cannot honour, in the words of the spec's other errors.</summary>
    public static IEnumerable<string> SpecErrors(SessionSpec spec)
    {
        if (spec.Limits?.Gpus == SessionLimits.AllGpus)
        {
            yield return "Limits.Gpus: Kubernetes has no \"all GPUs\" (AllGpus is Podman only); ask for a number (nvidia.com/gpu: N)";
        }
    }

    public static Dictionary<string, string>? NodeSelector(SessionManifestInput input) =>
        input.Cluster.NodeSelector.Count == 0 ? null : new Dictionary<string, string>(input.Cluster.NodeSelector, StringComparer.Ordinal);

    public static List<V1Toleration>? Tolerations(SessionManifestInput input) => Tolerations(input.Cluster);

    /// <summary>
    /// Sets the node selector and tolerations of a pod template's spec, in a merge patch, to <paramref name="cluster"/>'s
    /// whatever the template holds now: a merge patch merges a map key by key, so each label of
    /// <paramref name="current"/> the target drops is sent as <c>null</c>; the toleration list is replaced whole; an
    /// empty selector or list is removed (<c>null</c>). Sent on every upgrade, so a template edited by hand is brought back.
    /// </summary>
    public static void PatchPlacement(JsonObject podSpec, IDictionary<string, string>? current, SessionClusterSpec cluster)
    {
        if (cluster.NodeSelector.Count == 0)
        {
            podSpec["nodeSelector"] = null;
        }
        else
        {
            var selector = new JsonObject();
            foreach (var dropped in (current?.Keys ?? []).Where(k => !cluster.NodeSelector.ContainsKey(k)))
            {
                selector[dropped] = null;
            }

            foreach (var (key, value) in cluster.NodeSelector)
            {
                selector[key] = value;
            }

            podSpec["nodeSelector"] = selector;
        }

        podSpec["tolerations"] = Tolerations(cluster) is { } tolerations ? JsonNode.Parse(KubernetesJson.Serialize(tolerations)) : null;
    }

    private static List<V1Toleration>? Tolerations(SessionClusterSpec cluster) =>
        cluster.Tolerations.Count == 0
            ? null
            : [.. cluster.Tolerations.Select(t => new V1Toleration { Key = t.Key, OperatorProperty = t.Operator, Value = t.Value, Effect = t.Effect, TolerationSeconds = t.TolerationSeconds })];

    /// <summary>The workspace PVC's size: the spec's, else the backend's.</summary>
    public static string StorageSize(SessionManifestInput input, OpenShiftBackendOptions options) =>
        input.Cluster.WorkspaceSizeBytes is { } bytes ? Bytes(bytes) : options.StorageSize;

    /// <summary>The workspace PVC's class: the spec's, else the backend's (null: the cluster default).</summary>
    public static string? StorageClass(SessionManifestInput input, OpenShiftBackendOptions options) => input.Cluster.StorageClass ?? options.StorageClass;

    /// <summary>The backend's pull secrets and the session's, each once; null when there are none (the field is left out).</summary>
    public static List<V1LocalObjectReference>? PullSecrets(SessionManifestInput input, OpenShiftBackendOptions options)
    {
        var names = options.ImagePullSecrets.Concat(input.Cluster.ImagePullSecrets).Distinct(StringComparer.Ordinal).ToList();
        return names.Count == 0 ? null : [.. names.Select(n => new V1LocalObjectReference { Name = n })];
    }

    /// <summary>
    /// Adds the session's own requests (they replace the options' defaults) and GPUs to the agent's resources.
    /// GPUs go into the limits only: Kubernetes sets an extended resource's request to its limit.
    /// </summary>
    public static void AddAgentResources(V1ResourceRequirements resources, SessionLimits limits)
    {
        if (limits.CpuRequest is { } cpu)
        {
            Requests(resources)["cpu"] = new ResourceQuantity(((long)Math.Round(cpu * 1000)).ToString(CultureInfo.InvariantCulture) + "m");
        }

        if (limits.MemoryRequestBytes is { } memory)
        {
            Requests(resources)["memory"] = new ResourceQuantity(Bytes(memory));
        }

        if (limits.Gpus > 0)
        {
            resources.Limits ??= new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
            resources.Limits[GpuResource] = new ResourceQuantity(limits.Gpus.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Bytes in the binary suffix form an API server canonicalises them to (2Gi, 256Mi), else plain bytes.</summary>
    public static string Bytes(long bytes)
    {
        foreach (var (suffix, factor) in new[] { ("Ti", 1L << 40), ("Gi", 1L << 30), ("Mi", 1L << 20), ("Ki", 1L << 10) })
        {
            if (bytes % factor == 0)
            {
                return (bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    private static IDictionary<string, ResourceQuantity> Requests(V1ResourceRequirements resources) =>
        resources.Requests ??= new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
}
