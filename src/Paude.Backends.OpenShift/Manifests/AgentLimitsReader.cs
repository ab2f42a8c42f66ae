using k8s.Models;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// The agent's <see cref="SessionLimits"/> in force, read back from the agent container of the StatefulSet's pod
/// template (what every agent pod is made from; on this backend the record does not carry limits): the CPU and memory
/// limits, the <c>nvidia.com/gpu</c> limit and the requests. A request equal to what the backend sets by default
/// (<see cref="OpenShiftBackendOptions.AgentResources"/> capped at the limit, <see cref="PodSecurity.AgentResources"/>)
/// reads as <c>null</c>: it is the backend's, so it follows a new limit on upgrade instead of pinning the old one.
/// <see cref="SessionLimits.Pids"/> has no container field in Kubernetes and reads as the default. The template is
/// written by the backend and the cluster's users, never by the agent, but it is parsed defensively all the same:
/// a missing or unreadable quantity, or one out of the spec's bounds, makes the whole answer <c>null</c>.
/// </summary>
internal static class AgentLimitsReader
{
    public static SessionLimits? Read(V1StatefulSet statefulSet, ContainerResources defaults)
    {
        var agent = statefulSet.Spec?.Template?.Spec?.Containers?.FirstOrDefault(c => c.Name == SessionLabels.AgentContainer);
        var limits = agent?.Resources?.Limits;
        var requests = agent?.Resources?.Requests;
        try
        {
            if (Value(limits, "cpu") is not { } cpus || Value(limits, "memory") is not { } memory)
            {
                return null;
            }

            var read = new SessionLimits
            {
                Cpus = (double)cpus,
                MemoryBytes = decimal.ToInt64(decimal.Ceiling(memory)),
                Gpus = Value(limits, SessionPlacement.GpuResource) is { } gpus ? decimal.ToInt32(gpus) : 0,
            };
            var byDefault = PodSecurity.AgentResources(defaults, read).Requests;
            read = read with
            {
                CpuRequest = Own(requests, byDefault, "cpu") is { } cpu ? (double)cpu : null,
                MemoryRequestBytes = Own(requests, byDefault, "memory") is { } bytes ? decimal.ToInt64(decimal.Ceiling(bytes)) : null,
            };
            return read.GetErrors().Count == 0 && read.Gpus >= 0 ? read : null;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The session's own request: the template's, unless it is the one the backend sets by default.</summary>
    private static decimal? Own(IDictionary<string, ResourceQuantity>? requests, IDictionary<string, ResourceQuantity>? byDefault, string key) =>
        Value(requests, key) is { } value && Value(byDefault, key) != value ? value : null;

    private static decimal? Value(IDictionary<string, ResourceQuantity>? map, string key) =>
        map is not null && map.TryGetValue(key, out var quantity) && quantity is not null ? quantity.ToDecimal() : null;
}
