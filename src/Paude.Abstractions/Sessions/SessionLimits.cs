using System.Globalization;

namespace Paude.Sessions;

/// <summary>
/// Per-session resource limits for the agent container. The defaults are safe for a developer machine: a runaway
/// agent (memory leak, fork bomb, busy loop) is stopped by the container runtime before it takes the host down.
/// Immutable; validated with the rest of <see cref="SessionSpec"/>.
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

        return errors;
    }
}
