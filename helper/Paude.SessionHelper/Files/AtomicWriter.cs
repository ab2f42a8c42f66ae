using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>Flags of WriteBegin (PROTOCOL.md).</summary>
[Flags]
internal enum WriteFlags : byte { None = 0, CreateParents = 1, IfAbsent = 2, IfMatch = 4, SetMTime = 8 }

/// <summary>
/// One file being written: content goes to a fresh temporary file (O_CREAT|O_EXCL|O_NOFOLLOW) in the target's folder,
/// which is renamed over the target at the end, so a reader sees the old or the new file, never a torn one. The
/// folder is reached component by component without following links; the rename replaces a link at the target
/// instead of writing through it. A folder at the target is never replaced.
/// </summary>
internal sealed class AtomicWriter : IDisposable
{
    private static long _counter;
    private readonly int _dirFd;
    private readonly string _name, _temp, _path;
    private readonly SafeFileHandle _handle;
    private readonly XxHash128 _hash = new();
    private readonly WriteFlags _flags;
    private readonly byte[]? _ifMatch;
    private readonly long _size, _mtimeNs;
    private long _written;
    private bool _done;

    private AtomicWriter(int dirFd, string name, string path, string temp, SafeFileHandle handle, WriteFlags flags, byte[]? ifMatch, long size, long mtimeNs)
    {
        (_dirFd, _name, _path, _temp, _handle, _flags, _ifMatch, _size, _mtimeNs) = (dirFd, name, path, temp, handle, flags, ifMatch, size, mtimeNs);
    }

    public uint Id { get; private init; }

    public static AtomicWriter Begin(Workspace workspace, uint id, string path, uint mode, WriteFlags flags, byte[]? ifMatch, long size, long mtimeNs)
    {
        var parts = Workspace.Split(path);
        if (parts.Length == 0) throw new HelperException(ErrorCode.IsDirectory, "the root is a folder");
        int dir = workspace.OpenDirectory(parts, parts.Length - 1, flags.HasFlag(WriteFlags.CreateParents));
        string temp = $".paude-helper-{Environment.ProcessId}-{Interlocked.Increment(ref _counter)}.tmp";
        // Permission bits only: no setuid/setgid/sticky from the host.
        int fd = Libc.openat(dir, temp, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_EXCL | Libc.O_NOFOLLOW | Libc.O_CLOEXEC, mode & 0x1FF);
        if (fd < 0) { int e = Libc.Errno; Libc.close(dir); throw Errors.FromErrno(e, path); }
        return new AtomicWriter(dir, parts[^1], path, temp, new SafeFileHandle(fd, ownsHandle: true), flags, ifMatch, size, mtimeNs) { Id = id, Mode = mode & 0x1FF };
    }

    private uint Mode { get; init; }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        if (_written + chunk.Length > _size) throw new HelperException(ErrorCode.TooLarge, $"{_path}: more bytes than announced ({_size})");
        RandomAccess.Write(_handle, chunk, _written);
        _hash.Append(chunk);
        _written += chunk.Length;
    }

    /// <summary>Checks the precondition, renames the temporary file over the target and returns the content hash.</summary>
    public unsafe byte[] Commit()
    {
        if (_written != _size) throw new HelperException(ErrorCode.BadFrame, $"{_path}: {_written} bytes received, {_size} announced");
        int fd = (int)_handle.DangerousGetHandle();
        // umask may have cleared bits the host asked for.
        if (Libc.fchmod(fd, Mode) < 0) throw Errors.FromErrno(Libc.Errno, _path);
        if (_flags.HasFlag(WriteFlags.SetMTime))
        {
            var times = stackalloc Libc.Timespec[2];
            times[0] = new Libc.Timespec { Sec = 0, Nsec = (1L << 30) - 2 }; // UTIME_OMIT: leave atime
            times[1] = new Libc.Timespec { Sec = Math.DivRem(_mtimeNs, 1_000_000_000, out long ns), Nsec = ns };
            if (Libc.futimens(fd, times) < 0) throw Errors.FromErrno(Libc.Errno, _path);
        }
        CheckTarget();
        if (Libc.renameat(_dirFd, _temp, _dirFd, _name) < 0) throw Errors.FromErrno(Libc.Errno, _path);
        _done = true;
        return _hash.GetCurrentHash();
    }

    private void CheckTarget()
    {
        bool exists = Libc.fstatat(_dirFd, _name, out var st, Libc.AT_SYMLINK_NOFOLLOW) == 0;
        if (exists && st.Type == Libc.S_IFDIR) throw new HelperException(ErrorCode.IsDirectory, $"{_path}: is a folder (not replaced)");
        if (_flags.HasFlag(WriteFlags.IfAbsent) && exists) throw new HelperException(ErrorCode.PreconditionFailed, $"{_path}: exists");
        if (_flags.HasFlag(WriteFlags.IfMatch))
        {
            if (!exists || st.Type != Libc.S_IFREG) throw new HelperException(ErrorCode.PreconditionFailed, $"{_path}: not the expected file");
            var current = ContentHash.OfFile(_dirFd, _name, long.MaxValue, null, out _);
            if (!current.AsSpan().SequenceEqual(_ifMatch)) throw new HelperException(ErrorCode.PreconditionFailed, $"{_path}: changed in the session");
        }
    }

    public void Dispose()
    {
        _handle.Dispose();
        if (!_done) Libc.unlinkat(_dirFd, _temp, 0);
        Libc.close(_dirFd);
    }
}
