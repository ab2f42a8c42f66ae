using System.Globalization;
using k8s.Models;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// Security settings that pass OpenShift's <c>restricted-v2</c> SCC and the Kubernetes <c>restricted</c> pod
/// security standard: non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp. No UID is set
/// unless asked for, so the SCC can assign one from the namespace range (the images work as any UID in GID 0).
/// </summary>
internal static class PodSecurity
{
    public static V1PodSecurityContext Pod(OpenShiftBackendOptions options, string? user)
    {
        long? uid = options.RunAsUser;
        long? gid = null;
        if (user is not null)
        {
            var parts = user.Split(':');
            uid = long.Parse(parts[0], CultureInfo.InvariantCulture);
            gid = parts.Length > 1 ? long.Parse(parts[1], CultureInfo.InvariantCulture) : null;
        }

        return new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = uid,
            RunAsGroup = gid,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        };
    }

    public static V1SecurityContext Container() => new()
    {
        AllowPrivilegeEscalation = false,
        RunAsNonRoot = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
        SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
    };

    /// <summary>
    /// The agent's resources: the session's <see cref="SessionLimits"/> are the limits (they win over the options'),
    /// its requests and GPUs are added (<see cref="SessionPlacement.AddAgentResources"/>), and each request is capped at its limit (Kubernetes refuses a request above the limit). The process limit has
    /// no container field in Kubernetes: only the kubelet's <c>podPidsLimit</c> bounds a pod's processes (OpenShift's
    /// default 4096), so <see cref="SessionLimits.Pids"/> is not applied on this backend.
    /// </summary>
    public static V1ResourceRequirements AgentResources(ContainerResources options, SessionLimits limits)
    {
        var resources = Resources(options with { CpuLimit = limits.CpuQuantity, MemoryLimit = limits.MemoryQuantity });
        SessionPlacement.AddAgentResources(resources, limits);
        foreach (var key in resources.Requests?.Keys.ToList() ?? [])
        {
            if (resources.Limits?.ContainsKey(key) == true && resources.Requests![key].ToDecimal() > resources.Limits![key].ToDecimal())
            {
                resources.Requests[key] = resources.Limits[key];
            }
        }

        return resources;
    }

    public static V1ResourceRequirements Resources(ContainerResources resources)
    {
        static Dictionary<string, ResourceQuantity>? Map(string? cpu, string? memory)
        {
            var map = new Dictionary<string, ResourceQuantity>(StringComparer.Ordinal);
            if (cpu is not null)
            {
                map["cpu"] = new ResourceQuantity(cpu);
            }

            if (memory is not null)
            {
                map["memory"] = new ResourceQuantity(memory);
            }

            return map.Count == 0 ? null : map;
        }

        return new V1ResourceRequirements
        {
            Requests = Map(resources.CpuRequest, resources.MemoryRequest),
            Limits = Map(resources.CpuLimit, resources.MemoryLimit),
        };
    }
}
