using System.Globalization;
using Paude.Backends.Podman.Cli;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// A spec's resources as Podman takes them: requests as CPU weight and a memory soft limit (Podman has no scheduler),
/// GPUs as CDI devices; and what of a spec only a cluster can honour (refused, never silently ignored: a session
/// asked for a 50 GiB workspace or a GPU node must not quietly get something else).
/// </summary>
internal static class PodmanResources
{
    /// <summary>The CDI kind of NVIDIA GPUs (as <c>nvidia-ctk cdi generate</c> names them: <c>=0</c>, <c>=1</c>, …, <c>=all</c>).</summary>
    public const string GpuDeviceKind = "nvidia.com/gpu";

    /// <summary>Podman's words for a CDI device it has no spec for (podman 4.x/5.x: "unresolvable CDI devices").</summary>
    private const string UnresolvableDevice = "unresolvable CDI devices";

    /// <summary>The agent container's flags for the requests and GPUs of <paramref name="limits"/> (limits are elsewhere).</summary>
    public static List<string> AgentArguments(SessionLimits limits)
    {
        var args = new List<string>();
        if (limits.CpuRequest is { } cpu)
        {
            // The kubelet's mapping of a CPU request to cgroup cpu.shares (1 CPU = 1024), so the same request weighs the
            // same against other containers as on a node.
            args.AddRange(["--cpu-shares", Math.Max(2, (long)Math.Round(cpu * 1024)).ToString(CultureInfo.InvariantCulture)]);
        }

        if (limits.MemoryRequestBytes is { } memory)
        {
            args.AddRange(["--memory-reservation", memory.ToString(CultureInfo.InvariantCulture)]);
        }

        foreach (var device in GpuDevices(limits.Gpus))
        {
            args.AddRange(["--device", device]);
        }

        return args;
    }

    /// <summary>The CDI device names for <paramref name="gpus"/>: the first N by index, or every one.</summary>
    public static IEnumerable<string> GpuDevices(int gpus) =>
        gpus == SessionLimits.AllGpus
            ? [GpuDeviceKind + "=all"]
            : Enumerable.Range(0, Math.Max(0, gpus)).Select(i => string.Create(CultureInfo.InvariantCulture, $"{GpuDeviceKind}={i}"));

    /// <summary>What of <paramref name="spec"/> this backend cannot honour, in the words of the spec's other errors.</summary>
    public static IEnumerable<string> SpecErrors(SessionSpec spec)
    {
        if (spec.WorkspaceSizeBytes is not null)
        {
            yield return "WorkspaceSizeBytes: the podman backend cannot size a workspace volume (its local volumes have no size without XFS project quotas); Kubernetes only";
        }

        if (spec.StorageClass is not null)
        {
            yield return "StorageClass: storage classes are Kubernetes only; the podman backend keeps the workspace in a local volume";
        }

        if (spec.NodeSelector is { Count: > 0 })
        {
            yield return "NodeSelector: node placement is Kubernetes only; the podman backend runs on this machine";
        }

        if (spec.Tolerations is { Count: > 0 })
        {
            yield return "Tolerations: taints and tolerations are Kubernetes only; the podman backend runs on this machine";
        }

        if (spec.ImagePullSecrets is { Count: > 0 })
        {
            yield return "ImagePullSecrets: the podman backend never pulls images (build or load them into local storage); pull secrets are Kubernetes only";
        }
    }

    /// <summary>
    /// A failed create/start whose cause is a CDI device the host has none of (no GPU, or no CDI spec): the missing
    /// prerequisite, named; <c>null</c> for any other failure.
    /// </summary>
    public static BackendUnavailableException? MissingDevice(string backend, PodmanResult result)
    {
        var error = result.StandardError;
        var at = error.IndexOf(UnresolvableDevice, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return null;
        }

        // The device names podman lists after the phrase come from our own arguments, but the message is printed
        // trimmed all the same (it is engine output).
        return new BackendUnavailableException(
            backend,
            $"CDI device ({GpuDeviceKind})",
            $"podman cannot resolve a GPU device the session asks for ({PodmanCli.Trim(error[at..])}); install the NVIDIA Container Toolkit and " +
            "generate its CDI spec (nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml), or ask for fewer GPUs (Limits.Gpus)");
    }
}
