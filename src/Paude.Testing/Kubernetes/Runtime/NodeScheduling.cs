using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// The scheduler's one decision for the server's single node: whether a pod fits it (its <c>nodeSelector</c> matches
/// the node's labels, it tolerates every <c>NoSchedule</c>/<c>NoExecute</c> taint). Decided once per pod, as a pod's
/// placement is immutable and so are the node's labels here; a pod that does not fit stays Pending, Unschedulable.
/// </summary>
internal static class NodeScheduling
{
    public const string NodeName = "paude-test-node";

    private const string Preemption = " preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";

    /// <summary>The scheduler's message why <paramref name="pod"/> fits no node (as kube-scheduler words it), or <c>null</c> when it fits.</summary>
    public static string? Refusal(JsonObject pod, KubernetesTestServerOptions options)
    {
        var spec = pod["spec"];
        if (options.NodeLabels is { } labels)
        {
            var node = new Dictionary<string, string>(labels, StringComparer.Ordinal)
            {
                ["kubernetes.io/hostname"] = NodeName,
                ["kubernetes.io/os"] = "linux",
            };
            if (Meta.StringMap(spec?["nodeSelector"]).Any(s => !node.TryGetValue(s.Key, out var value) || value != s.Value))
            {
                return "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector." + Preemption;
            }
        }

        var tolerations = (spec?["tolerations"]).Objects().ToList();
        foreach (var taint in options.NodeTaints.Where(t => t.Effect is "NoSchedule" or "NoExecute"))
        {
            if (!tolerations.Any(t => Tolerates(t, taint)))
            {
                return $"0/1 nodes are available: 1 node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}." + Preemption;
            }
        }

        return null;
    }

    /// <summary>Kubernetes' rule: an empty key with Exists tolerates everything; an empty effect matches every effect.</summary>
    private static bool Tolerates(JsonObject toleration, KubernetesNodeTaint taint)
    {
        var effect = toleration.Str("effect");
        if (effect is { Length: > 0 } && effect != taint.Effect)
        {
            return false;
        }

        var exists = toleration.Str("operator") == "Exists";
        if (toleration.Str("key") is not { Length: > 0 } key)
        {
            return exists;
        }

        return key == taint.Key && (exists || (toleration.Str("value") ?? string.Empty) == (taint.Value ?? string.Empty));
    }
}
