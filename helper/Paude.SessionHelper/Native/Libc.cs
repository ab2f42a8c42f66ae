using System.Runtime.InteropServices;

namespace Paude.SessionHelper.Native;

/// <summary>
/// The few glibc calls the helper needs that .NET does not expose: *at() calls relative to a directory descriptor
/// (so no path is ever re-resolved through a link), readdir and inotify. linux-x64 only (struct layouts below).
/// </summary>
internal static unsafe partial class Libc
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_CREAT = 0x40, O_EXCL = 0x80, O_NONBLOCK = 0x800;
    public const int O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int ENOENT = 2, EINTR = 4, EEXIST = 17, ENOTDIR = 20, EISDIR = 21, ENOSPC = 28, ELOOP = 40, ENOTEMPTY = 39;
    public const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xA000;

    /// <summary>struct stat of x86_64 glibc (144 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stat
    {
        public ulong Dev, Ino, Nlink;
        public uint Mode, Uid, Gid;
        private readonly int _pad0;
        public ulong Rdev;
        public long Size, BlkSize, Blocks;
        public long ATime, ATimeNsec, MTime, MTimeNsec, CTime, CTimeNsec;
        private readonly long _r0, _r1, _r2;

        public readonly uint Type => Mode & S_IFMT;
        public readonly long MTimeNs => MTime * 1_000_000_000 + MTimeNsec;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec { public long Sec, Nsec; }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int renameat(int olddirfd, string oldpath, int newdirfd, string newpath);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int fstatat(int dirfd, string path, out Stat buf, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fstat(int fd, out Stat buf);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint readlinkat(int dirfd, string path, byte* buf, nint size);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int futimens(int fd, Timespec* times);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint fdopendir(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint readdir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int closedir(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dirfd(nint dir);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int dup(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_init1(int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int inotify_add_watch(int fd, string path, uint mask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int inotify_rm_watch(int fd, int wd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, byte* buf, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, byte* buf, nint count);

    public static int Errno => Marshal.GetLastPInvokeError();
}
