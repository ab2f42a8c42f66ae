using System.Buffers.Binary;
using System.Text;
using Paude.SessionHelper.Files;
using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Watch;

/// <summary>Kinds of change in an Event frame (PROTOCOL.md).</summary>
internal enum ChangeKind : byte { Created = 1, Modified = 2, Deleted = 3, MovedFrom = 4, MovedTo = 5 }

/// <summary>
/// Watches the workspace recursively with inotify on a thread of its own and streams Event frames. A folder that
/// appears is watched at once and its content reported as created (files made before the watch was added would
/// otherwise be missed). A queue overflow, or a folder that cannot be watched (watch limit), is reported as an
/// Overflow frame: the host then lists again. Links are reported, never followed.
/// </summary>
internal sealed unsafe class InotifyWatcher
{
    private const uint IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80;
    private const uint IN_CREATE = 0x100, IN_DELETE = 0x200, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000;
    private const uint IN_ONLYDIR = 0x1000000, IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000, IN_ISDIR = 0x40000000;
    private const uint Mask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
                              | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

    private readonly Workspace _workspace;
    private readonly FrameIO _io;
    private readonly uint _id;
    private readonly HashSet<string> _excludes;
    private readonly Dictionary<int, string> _paths = [];
    private readonly int _fd;

    public InotifyWatcher(Workspace workspace, FrameIO io, uint id, HashSet<string> excludes)
    {
        (_workspace, _io, _id, _excludes) = (workspace, io, id, excludes);
        _fd = Libc.inotify_init1(Libc.O_CLOEXEC);
        if (_fd < 0) throw new HelperException(ErrorCode.WatchLimit, $"inotify_init1 failed: errno {Libc.Errno}");
    }

    /// <summary>Adds the initial watches, then reads events on a background thread for the life of the process.</summary>
    public int Start()
    {
        if (!AddTree("", report: false)) _io.Write(MessageType.Overflow, _id, []);
        var thread = new Thread(Loop) { IsBackground = true, Name = "inotify" };
        thread.Start();
        return _paths.Count;
    }

    /// <summary>Watches a folder and every folder under it; false when one could not be watched.</summary>
    private bool AddTree(string path, bool report)
    {
        // inotify takes a path: it is built from components the walk saw as real folders, under the root's path.
        string full = path.Length == 0 ? _workspace.RootPath : _workspace.RootPath + "/" + path;
        int wd = Libc.inotify_add_watch(_fd, full, Mask);
        if (wd < 0) return Libc.Errno == Libc.ENOENT || Libc.Errno == Libc.ENOTDIR || Libc.Errno == Libc.ELOOP;
        lock (_paths) _paths[wd] = path;
        bool ok = true;
        string[] children;
        try
        {
            children = Directory.Exists(full) ? [.. new DirectoryInfo(full).EnumerateFileSystemInfos().Select(i => i.Name)] : [];
        }
        catch (IOException) { return ok; }
        catch (UnauthorizedAccessException) { return ok; }
        foreach (var name in children.Order(StringComparer.Ordinal))
        {
            if (_excludes.Contains(name)) continue;
            string child = path.Length == 0 ? name : path + "/" + name;
            var info = new FileInfo(_workspace.RootPath + "/" + child);
            bool isDir = info.Attributes.HasFlag(FileAttributes.Directory) && info.LinkTarget is null;
            if (report) Send(ChangeKind.Created, isDir, child);
            if (isDir) ok &= AddTree(child, report);
        }
        return ok;
    }

    private void Loop()
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint n;
            fixed (byte* p = buffer) n = Libc.read(_fd, p, buffer.Length);
            if (n < 0) { if (Libc.Errno == Libc.EINTR) continue; return; }
            int offset = 0;
            while (offset + 16 <= n)
            {
                // struct inotify_event: int wd, u32 mask, u32 cookie, u32 len, char name[len]
                var span = buffer.AsSpan(offset);
                int wd = BinaryPrimitives.ReadInt32LittleEndian(span);
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
                int len = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
                var nameBytes = span.Slice(16, len);
                int nul = nameBytes.IndexOf((byte)0);
                string name = Encoding.UTF8.GetString(nul < 0 ? nameBytes : nameBytes[..nul]);
                offset += 16 + len;
                Handle(wd, mask, name);
            }
        }
    }

    private void Handle(int wd, uint mask, string name)
    {
        if ((mask & IN_Q_OVERFLOW) != 0) { _io.Write(MessageType.Overflow, _id, []); return; }
        string? dir;
        lock (_paths)
        {
            if ((mask & IN_IGNORED) != 0) { _paths.Remove(wd); return; }
            if (!_paths.TryGetValue(wd, out dir)) return;
        }
        if (name.Length == 0 || _excludes.Contains(name) || name.StartsWith(".paude-helper-", StringComparison.Ordinal)) return;
        string path = dir.Length == 0 ? name : dir + "/" + name;
        bool isDir = (mask & IN_ISDIR) != 0;
        if ((mask & IN_CREATE) != 0) Send(ChangeKind.Created, isDir, path);
        if ((mask & IN_MOVED_TO) != 0) Send(ChangeKind.MovedTo, isDir, path);
        if ((mask & (IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB)) != 0) Send(ChangeKind.Modified, isDir, path);
        if ((mask & IN_DELETE) != 0) Send(ChangeKind.Deleted, isDir, path);
        if ((mask & IN_MOVED_FROM) != 0)
        {
            Send(ChangeKind.MovedFrom, isDir, path);
            if (isDir) Forget(path);
        }
        if (isDir && (mask & (IN_CREATE | IN_MOVED_TO)) != 0 && !AddTree(path, report: true))
            _io.Write(MessageType.Overflow, _id, []);
    }

    /// <summary>A folder moved away: its watches (and those below it) would report under a stale path.</summary>
    private void Forget(string path)
    {
        lock (_paths)
        {
            foreach (var (wd, p) in _paths.ToArray())
                if (p == path || p.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    _paths.Remove(wd);
                    Libc.inotify_rm_watch(_fd, wd);
                }
        }
    }

    private void Send(ChangeKind kind, bool isDir, string path)
    {
        var w = new PayloadWriter();
        w.U8((byte)kind);
        w.U8(isDir ? (byte)1 : (byte)0);
        w.String(path);
        _io.Write(MessageType.Event, _id, w);
    }
}
