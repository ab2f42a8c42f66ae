using System.Globalization;
using System.Text.Json.Nodes;
using k8s.Models;

namespace Paude.Testing.Kubernetes.Runtime;

// resources.limits and the node's pids limit → podman's cgroup flags, so a runaway pod is contained like on a kubelet.
internal sealed partial class PodLaunch
{
    private void Limits(JsonObject container, List<string> args)
    {
        var limits = container["resources"]?["limits"] as JsonObject;

        // A kubelet enforces limits only (requests only schedule). Quantities are not validated by this server: one that
        // does not parse is ignored here (a real API server refuses it at create).
        if (LimitQuantity(limits, "memory") is { } memory)
        {
            args.AddRange(["--memory", decimal.ToInt64(decimal.Ceiling(memory)).ToString(CultureInfo.InvariantCulture)]);
        }

        if (LimitQuantity(limits, "cpu") is { } cpu)
        {
            args.AddRange(["--cpus", cpu.ToString("0.###", CultureInfo.InvariantCulture)]);
        }

        if (podPidsLimit > 0)
        {
            args.AddRange(["--pids-limit", podPidsLimit.ToString(CultureInfo.InvariantCulture)]);
        }
    }

    private static decimal? LimitQuantity(JsonObject? limits, string name)
    {
        if (limits?[name] is not JsonValue value || value.ToString() is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            return new ResourceQuantity(text).ToDecimal();
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
