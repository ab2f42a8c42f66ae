using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>
/// The workspace root, held open as a directory descriptor. Every path the host names is relative to it and is walked
/// one component at a time with openat(O_NOFOLLOW): a link anywhere on the way is refused, never followed, so a
/// link the agent plants cannot send a write or delete outside the workspace (or anywhere the host did not name).
/// </summary>
internal sealed class Workspace : IDisposable
{
    private Workspace(int rootFd, string rootPath) { RootFd = rootFd; RootPath = rootPath; }

    public int RootFd { get; }

    public string RootPath { get; }

    public static Workspace Open(string rootPath)
    {
        if (!rootPath.StartsWith('/')) throw new HelperException(ErrorCode.BadPath, "the workspace root must be absolute");
        int fd = Libc.openat(Libc.AT_FDCWD, rootPath, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Errors.FromErrno(Libc.Errno, "workspace root");
        return new Workspace(fd, rootPath);
    }

    /// <summary>
    /// Splits a relative path into components, refusing an absolute path, empty, "." and ".." components, NUL and
    /// overlong names. The empty string is the root itself (no components).
    /// </summary>
    public static string[] Split(string path)
    {
        if (path.Length == 0) return [];
        if (System.Text.Encoding.UTF8.GetByteCount(path) > Limits.MaxPathBytes) throw new HelperException(ErrorCode.BadPath, "path too long");
        if (path[0] == '/') throw new HelperException(ErrorCode.BadPath, $"absolute path refused: {path}");
        var parts = path.Split('/');
        foreach (var p in parts)
        {
            if (p.Length == 0 || p == "." || p == "..")
                throw new HelperException(ErrorCode.BadPath, $"path component '{p}' refused in {path}");
            if (p.Contains('\0')) throw new HelperException(ErrorCode.BadPath, "NUL in path");
            if (System.Text.Encoding.UTF8.GetByteCount(p) > Limits.MaxComponentBytes) throw new HelperException(ErrorCode.BadPath, "path component too long");
        }
        return parts;
    }

    /// <summary>
    /// Opens the folder made of the first <paramref name="count"/> components, refusing links; with
    /// <paramref name="create"/> missing folders are made (mode 0775). The caller closes the returned descriptor.
    /// </summary>
    public int OpenDirectory(string[] parts, int count, bool create)
    {
        // A new open file description of the root (dup would share its directory offset with every other user).
        int fd = Libc.openat(RootFd, ".", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Errors.FromErrno(Libc.Errno, "workspace root");
        for (int i = 0; i < count; i++)
        {
            int next = Libc.openat(fd, parts[i], Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
            if (next < 0 && create && Libc.Errno == Libc.ENOENT)
            {
                if (Libc.mkdirat(fd, parts[i], 0x1FD) < 0 && Libc.Errno != Libc.EEXIST)
                {
                    int e = Libc.Errno;
                    Libc.close(fd);
                    throw Errors.FromErrno(e, string.Join('/', parts, 0, i + 1));
                }
                next = Libc.openat(fd, parts[i], Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
            }
            int errno = Libc.Errno;
            // O_DIRECTORY|O_NOFOLLOW on a link fails with ENOTDIR: say it was a link.
            bool isLink = next < 0 && Libc.fstatat(fd, parts[i], out var st, Libc.AT_SYMLINK_NOFOLLOW) == 0 && st.Type == Libc.S_IFLNK;
            Libc.close(fd);
            if (next < 0) throw Errors.FromErrno(isLink ? Libc.ELOOP : errno, string.Join('/', parts, 0, i + 1));
            fd = next;
        }
        return fd;
    }

    public void Dispose() => Libc.close(RootFd);
}
