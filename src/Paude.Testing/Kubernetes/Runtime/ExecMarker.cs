using System.Diagnostics;
using System.Text;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Finds and ends what one exec started inside a container. Killing <c>podman exec</c> does not: conmon keeps the
/// exec session, so the command ran on after its client had gone (a <c>sleep 600</c> for ten minutes). Each exec's
/// command gets a random marker in its environment (<see cref="Variable"/>), which its children inherit; the
/// processes on this host whose environment holds it are that command's. Without the rights to read or signal them
/// (another user's processes) nothing is done.
/// </summary>
internal static class ExecMarker
{
    public const string Variable = "PAUDE_KUBETEST_EXEC";

    public static string New() => Convert.ToHexString(Guid.NewGuid().ToByteArray());

    /// <summary>Sends SIGKILL to every process on this host whose environment carries <paramref name="marker"/>.</summary>
    public static void KillAll(string marker)
    {
        var entry = Encoding.ASCII.GetBytes($"{Variable}={marker}\0");
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                var at = environ.AsSpan().IndexOf(entry);
                if (at == 0 || (at > 0 && environ[at - 1] == 0))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to read or signal.
            }
        }
    }
}
