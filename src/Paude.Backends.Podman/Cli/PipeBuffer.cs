using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Paude.Backends.Podman.Cli;

/// <summary>
/// Enlarges the kernel buffer of a pipe to a child's stdin (Linux <c>F_SETPIPE_SZ</c>): with the default 64 KiB a
/// streamed upload wakes podman for every 64 KiB; with 1 MiB the writer and podman hand over far bigger batches.
/// </summary>
internal static class PipeBuffer
{
    /// <summary>The size asked for: the default <c>/proc/sys/fs/pipe-max-size</c>, which unprivileged users may use.</summary>
    public const int Size = 1024 * 1024;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7)

    /// <summary>Best effort: returns whether the buffer was enlarged (never on other OSes or non-pipe streams).</summary>
    public static bool TryEnlarge(Stream stream)
    {
        if (!OperatingSystem.IsLinux() || stream is not PipeStream pipe)
        {
            return false;
        }

        var handle = pipe.SafePipeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Fcntl((int)handle.DangerousGetHandle(), SetPipeSize, Size) >= Size;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

#pragma warning disable CA1401, SYSLIB1054 // A plain libc import of blittable ints (LibraryImport would need unsafe code).
    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fcntl(int fd, int command, int argument);
#pragma warning restore CA1401, SYSLIB1054
}
