using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>Flags of Delete (PROTOCOL.md).</summary>
[Flags]
internal enum DeleteFlags : byte { None = 0, Recursive = 1, IfMatch = 2 }

/// <summary>
/// Delete and Mkdir. A link is removed as a link (never followed); a folder only when empty unless
/// <see cref="DeleteFlags.Recursive"/>; a file only when its hash matches with <see cref="DeleteFlags.IfMatch"/>.
/// </summary>
internal static unsafe class Remover
{
    public static void Delete(Workspace workspace, string path, DeleteFlags flags, byte[]? ifMatch)
    {
        var parts = Workspace.Split(path);
        if (parts.Length == 0) throw new HelperException(ErrorCode.BadPath, "the root is never deleted");
        int dir = workspace.OpenDirectory(parts, parts.Length - 1, create: false);
        try
        {
            string name = parts[^1];
            if (Libc.fstatat(dir, name, out var st, Libc.AT_SYMLINK_NOFOLLOW) < 0) throw Errors.FromErrno(Libc.Errno, path);
            if (flags.HasFlag(DeleteFlags.IfMatch))
            {
                if (st.Type != Libc.S_IFREG) throw new HelperException(ErrorCode.PreconditionFailed, $"{path}: not the expected file");
                var current = ContentHash.OfFile(dir, name, long.MaxValue, null, out _);
                if (!current.AsSpan().SequenceEqual(ifMatch)) throw new HelperException(ErrorCode.PreconditionFailed, $"{path}: changed in the session");
            }
            if (st.Type == Libc.S_IFDIR)
            {
                if (flags.HasFlag(DeleteFlags.Recursive)) EmptyFolder(dir, name, path);
                if (Libc.unlinkat(dir, name, Libc.AT_REMOVEDIR) < 0) throw Errors.FromErrno(Libc.Errno, path);
            }
            else if (Libc.unlinkat(dir, name, 0) < 0) throw Errors.FromErrno(Libc.Errno, path);
        }
        finally { Libc.close(dir); }
    }

    public static void Mkdir(Workspace workspace, string path, uint mode, bool parents)
    {
        var parts = Workspace.Split(path);
        if (parts.Length == 0) return;
        int dir = workspace.OpenDirectory(parts, parts.Length - 1, parents);
        try
        {
            if (Libc.mkdirat(dir, parts[^1], mode & 0x1FF) == 0) return;
            int e = Libc.Errno;
            if (e == Libc.EEXIST && Libc.fstatat(dir, parts[^1], out var st, Libc.AT_SYMLINK_NOFOLLOW) == 0 && st.Type == Libc.S_IFDIR) return;
            throw Errors.FromErrno(e, path);
        }
        finally { Libc.close(dir); }
    }

    /// <summary>Removes everything inside a folder, opened without following links, depth first.</summary>
    private static void EmptyFolder(int parentFd, string name, string path)
    {
        int fd = Libc.openat(parentFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Errors.FromErrno(Libc.Errno, path);
        nint d = Libc.fdopendir(fd);
        if (d == 0) { Libc.close(fd); throw Errors.FromErrno(Libc.Errno, path); }
        try
        {
            var names = new List<string>();
            for (nint ent; (ent = Libc.readdir(d)) != 0;)
            {
                var n = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(ent + 19)!;
                if (n is not ("." or "..")) names.Add(n);
            }
            int dfd = Libc.dirfd(d);
            foreach (var n in names)
            {
                if (Libc.fstatat(dfd, n, out var st, Libc.AT_SYMLINK_NOFOLLOW) < 0) continue;
                if (st.Type == Libc.S_IFDIR)
                {
                    EmptyFolder(dfd, n, path + "/" + n);
                    if (Libc.unlinkat(dfd, n, Libc.AT_REMOVEDIR) < 0) throw Errors.FromErrno(Libc.Errno, path + "/" + n);
                }
                else if (Libc.unlinkat(dfd, n, 0) < 0 && Libc.Errno != Libc.ENOENT) throw Errors.FromErrno(Libc.Errno, path + "/" + n);
            }
        }
        finally { Libc.closedir(d); }
    }
}
