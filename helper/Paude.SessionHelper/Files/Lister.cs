using System.Runtime.InteropServices;
using System.Text;
using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>Kinds of entry in a listing and in watch events.</summary>
internal enum EntryKind : byte { File = 1, Directory = 2, Symlink = 3, Other = 4 }

/// <summary>
/// Lists a set of paths (each a file or a folder walked recursively) without following links: one
/// <see cref="MessageType.Entry"/> frame per entry, then <see cref="MessageType.ListEnd"/>.
/// </summary>
internal sealed unsafe class Lister(Workspace workspace, FrameIO io, uint id, bool hash, HashSet<string> excludes)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private ulong _entries, _skipped;

    public void Run(IReadOnlyList<string> paths)
    {
        foreach (var path in paths)
        {
            var parts = Workspace.Split(path);
            if (parts.Length == 0) { WalkRoot(); continue; }
            int dir = workspace.OpenDirectory(parts, parts.Length - 1, create: false);
            try { Visit(dir, parts[^1], path); }
            catch (HelperException e) when (e.Code == ErrorCode.NotFound) { /* absent: nothing listed */ }
            finally { Libc.close(dir); }
        }
        var w = new PayloadWriter();
        w.U64(_entries);
        w.U64(_skipped);
        io.Write(MessageType.ListEnd, id, w);
    }

    private void WalkRoot()
    {
        // A fresh open of ".", not dup(): a dup shares the directory offset, so the next listing would start at the end.
        int fd = Libc.openat(workspace.RootFd, ".", Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw Errors.FromErrno(Libc.Errno, "workspace root");
        Walk(fd, "");
    }

    private void Visit(int dirFd, string name, string path)
    {
        if (Libc.fstatat(dirFd, name, out var st, Libc.AT_SYMLINK_NOFOLLOW) < 0)
        {
            if (Libc.Errno == Libc.ENOENT) return; // raced with a delete
            throw Errors.FromErrno(Libc.Errno, path);
        }
        var w = new PayloadWriter();
        switch (st.Type)
        {
            case Libc.S_IFDIR:
                Emit(w, EntryKind.Directory, path, st);
                io.Write(MessageType.Entry, id, w);
                _entries++;
                int sub = Libc.openat(dirFd, name, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, 0);
                if (sub < 0) { _skipped++; return; }
                Walk(sub, path);
                return;
            case Libc.S_IFREG:
                byte[]? digest = null;
                if (hash)
                {
                    try { digest = ContentHash.OfFile(dirFd, name, long.MaxValue, null, out st); }
                    catch (HelperException) { _skipped++; return; } // replaced or removed while listed
                }
                Emit(w, EntryKind.File, path, st);
                if (digest is not null) w.Raw(digest);
                break;
            case Libc.S_IFLNK:
                Emit(w, EntryKind.Symlink, path, st);
                w.String(ReadLink(dirFd, name));
                break;
            default:
                Emit(w, EntryKind.Other, path, st);
                break;
        }
        io.Write(MessageType.Entry, id, w);
        _entries++;
    }

    private static void Emit(PayloadWriter w, EntryKind kind, string path, in Libc.Stat st)
    {
        w.U8((byte)kind);
        w.String(path);
        w.U64((ulong)Math.Max(0, st.Size));
        w.I64(st.MTimeNs);
        w.U32(st.Mode & 0xFFF);
    }

    /// <summary>Walks an open folder (takes ownership of <paramref name="fd"/>), depth first, skipping excluded names.</summary>
    private void Walk(int fd, string path)
    {
        nint dir = Libc.fdopendir(fd);
        if (dir == 0) { Libc.close(fd); _skipped++; return; }
        try
        {
            var names = new List<string>();
            while (true)
            {
                nint ent = Libc.readdir(dir);
                if (ent == 0) break;
                // struct dirent (x86_64): d_ino 8, d_off 8, d_reclen 2, d_type 1, then the NUL-terminated name.
                byte* namePtr = (byte*)ent + 19;
                var bytes = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(namePtr);
                if (bytes.SequenceEqual("."u8) || bytes.SequenceEqual(".."u8)) continue;
                string name;
                try { name = StrictUtf8.GetString(bytes); }
                catch (DecoderFallbackException) { _skipped++; continue; } // not representable in the protocol
                if (excludes.Contains(name)) continue;
                names.Add(name);
            }
            names.Sort(StringComparer.Ordinal);
            int dfd = Libc.dirfd(dir);
            foreach (var name in names)
            {
                string child = path.Length == 0 ? name : path + "/" + name;
                if (Encoding.UTF8.GetByteCount(child) > Limits.MaxPathBytes) { _skipped++; continue; }
                Visit(dfd, name, child);
            }
        }
        finally { Libc.closedir(dir); }
    }

    private static string ReadLink(int dirFd, string name)
    {
        byte* buf = stackalloc byte[Limits.MaxPathBytes];
        nint n = Libc.readlinkat(dirFd, name, buf, Limits.MaxPathBytes);
        if (n < 0) return "";
        try { return StrictUtf8.GetString(buf, (int)n); }
        catch (DecoderFallbackException) { return ""; }
    }
}
