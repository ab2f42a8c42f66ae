using System.Runtime.InteropServices;

namespace Paude.Execution;

// Shared source (src/Shared): compiled as an internal type into each package that needs it (Abstractions' tar
// writer, Credentials' package writer), so no package needs another's internals.
/// <summary>The one libc call the tar and credential package writers need: a non-blocking open to tell FIFOs from files.</summary>
internal static partial class NativeMethods
{
    /// <summary>O_RDONLY | O_NONBLOCK | O_CLOEXEC for the running OS.</summary>
    public static readonly int ReadOnlyNonBlocking = OperatingSystem.IsLinux() ? 0x800 | 0x80000 : 0x4 | 0x1000000;

#pragma warning disable CA1401, SYSLIB1054, CA2101, IDE1006 // A plain libc import; the path is marshalled as UTF-8.
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
#pragma warning restore CA1401, SYSLIB1054, CA2101, IDE1006
}
