using System.Globalization;

namespace Paude.Sessions;

/// <summary>
/// Per-session resources of the agent container: limits, requests and GPUs. The default limits are safe for a
/// developer machine: a runaway agent (memory leak, fork bomb, busy loop) is stopped by the container runtime before
/// it takes the host down. Requests matter to a cluster's scheduler; Podman has no scheduler, so it maps them to the
/// nearest honest cgroup setting (see each property). Immutable; validated with the rest of <see cref="SessionSpec"/>.
/// </summary>
public sealed record SessionLimits
{
    /// <summary>The defaults: 4 GiB of memory, 2 CPUs, 2,048 processes.</summary>
    public static SessionLimits Default { get; } = new();

    /// <summary>Memory limit of the agent container in bytes (default 4 GiB; at least 64 MiB).</summary>
    public long MemoryBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>CPU limit of the agent container in CPUs (default 2; between 0.01 and 1024).</summary>
    public double Cpus { get; init; } = 2;

    /// <summary>Maximum number of processes/threads in the agent container (default 2,048; at least 16).</summary>
    public int Pids { get; init; } = 2048;

    /// <summary>
    /// Value of <see cref="Gpus"/> for every GPU of the host: Podman only (CDI device <c>nvidia.com/gpu=all</c>);
    /// Kubernetes has no "all" and refuses it.
    /// </summary>
    public const int AllGpus = -1;

    /// <summary>
    /// The CPU request in CPUs; <c>null</c> (default) requests nothing beyond the backend's own default. Kubernetes:
    /// <c>resources.requests.cpu</c> (scheduling, and the container's CPU weight). Podman has no scheduler: mapped to
    /// <c>--cpu-shares</c> = request × 1024, the CPU weight a kubelet gives the same request; nothing is reserved.
    /// At most <see cref="Cpus"/>.
    /// </summary>
    public double? CpuRequest { get; init; }

    /// <summary>
    /// The memory request in bytes; <c>null</c> (default) requests nothing beyond the backend's own default.
    /// Kubernetes: <c>resources.requests.memory</c> (scheduling). Podman has no scheduler: mapped to
    /// <c>--memory-reservation</c>, a soft limit the kernel reclaims the container towards under memory pressure;
    /// nothing is reserved. Between 4 MiB and <see cref="MemoryBytes"/>.
    /// </summary>
    public long? MemoryRequestBytes { get; init; }

    /// <summary>
    /// NVIDIA GPUs for the agent (default 0: none; at most 64, or <see cref="AllGpus"/>). Kubernetes: the limit
    /// <c>nvidia.com/gpu: N</c> (needs the NVIDIA device plugin on a node). Podman: the CDI devices
    /// <c>nvidia.com/gpu=0</c> … <c>N-1</c>, or <c>nvidia.com/gpu=all</c> (needs the NVIDIA Container Toolkit's CDI
    /// spec on the host, <c>nvidia-ctk cdi generate</c>); a device the host does not have fails create with
    /// <see cref="Errors.BackendUnavailableException"/> naming it.
    /// </summary>
    public int Gpus { get; init; }

    /// <summary>The memory limit as Kubernetes and Podman accept it (bytes, e.g. <c>4294967296</c>).</summary>
    public string MemoryQuantity => MemoryBytes.ToString(CultureInfo.InvariantCulture);

    /// <summary>The CPU limit in millicores as Kubernetes accepts it (e.g. <c>2000m</c>).</summary>
    public string CpuQuantity => ((long)Math.Round(Cpus * 1000)).ToString(CultureInfo.InvariantCulture) + "m";

    /// <summary>Returns every problem with these limits (empty when valid), each prefixed with <c>Limits.</c>.</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (MemoryBytes < 64L * 1024 * 1024)
        {
            errors.Add($"Limits.MemoryBytes: {MemoryBytes} is below the minimum of 64 MiB (67108864)");
        }

        if (double.IsNaN(Cpus) || Cpus < 0.01 || Cpus > 1024)
        {
            errors.Add($"Limits.Cpus: {Cpus.ToString(CultureInfo.InvariantCulture)} is not between 0.01 and 1024");
        }

        if (Pids < 16)
        {
            errors.Add($"Limits.Pids: {Pids} is below the minimum of 16");
        }

        if (CpuRequest is { } cpu && (double.IsNaN(cpu) || cpu < 0.001 || cpu > Cpus))
        {
            errors.Add($"Limits.CpuRequest: {cpu.ToString(CultureInfo.InvariantCulture)} is not between 0.001 and the CPU limit ({Cpus.ToString(CultureInfo.InvariantCulture)})");
        }

        if (MemoryRequestBytes is { } memory && (memory < 4L * 1024 * 1024 || memory > MemoryBytes))
        {
            errors.Add($"Limits.MemoryRequestBytes: {memory} is not between 4 MiB (4194304) and the memory limit ({MemoryBytes})");
        }

        if (Gpus is < AllGpus or > 64)
        {
            errors.Add($"Limits.Gpus: {Gpus} is not between 0 and 64 (or AllGpus, -1)");
        }

        return errors;
    }
}
