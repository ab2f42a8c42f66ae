using System.Runtime.InteropServices;

namespace Paude.Benchmarks.Harness;

/// <summary>
/// CPU time (user + system) of this process's finished children and everything they waited for (getrusage
/// RUSAGE_CHILDREN). The delta around one child process is that command's whole CPU cost, including the podman
/// processes it ran: a figure that, unlike wall time, a machine loaded by other work barely moves.
/// </summary>
internal static partial class ChildCpu
{
    private const int RusageChildren = -1;

    /// <summary>Total CPU milliseconds of the reaped children so far.</summary>
    public static double Milliseconds()
    {
        if (GetRusage(RusageChildren, out var usage) != 0)
        {
            return double.NaN;
        }

        return ((usage.UserSeconds + usage.SystemSeconds) * 1000.0) + ((usage.UserMicroseconds + usage.SystemMicroseconds) / 1000.0);
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
#pragma warning disable CS0169, IDE0051 // The rest of struct rusage: present for its size, never read.
        private readonly long _maxrss, _ixrss, _idrss, _isrss, _minflt, _majflt, _nswap, _inblock, _oublock, _msgsnd, _msgrcv, _nsignals, _nvcsw, _nivcsw;
#pragma warning restore CS0169, IDE0051
    }
}
