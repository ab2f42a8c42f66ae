using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using Paude.SessionHelper.Native;

namespace Paude.SessionHelper.Files;

/// <summary>
/// XXH3-128 of file content. Chosen over SHA-256 because it is pure managed code (the helper must run in any user
/// image, with or without libssl, which .NET's SHA-256 needs on Linux) and several times faster; collision
/// resistance against the agent is not needed: the agent owns the session's content anyway, a forged collision could
/// only hide the agent's own edit from the host, never change a host file (the host hashes its own files itself).
/// </summary>
internal static class ContentHash
{
    public static byte[] OfFile(int dirFd, string name, long maxBytes, Action<ReadOnlySpan<byte>>? sink, out Libc.Stat st)
    {
        int fd = Libc.openat(dirFd, name, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NONBLOCK, 0);
        if (fd < 0) throw Errors.FromErrno(Libc.Errno, name);
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Libc.fstat(fd, out st) < 0) throw Errors.FromErrno(Libc.Errno, name);
        if (st.Type != Libc.S_IFREG) throw new Protocol.HelperException(Protocol.ErrorCode.NotRegularFile, $"{name}: not a regular file");
        if (st.Size > maxBytes) throw new Protocol.HelperException(Protocol.ErrorCode.TooLarge, $"{name}: {st.Size} bytes exceeds {maxBytes}");
        var hash = new XxHash128();
        var buffer = new byte[Protocol.Limits.ChunkSize];
        long offset = 0;
        while (true)
        {
            int n = RandomAccess.Read(handle, buffer, offset);
            if (n == 0) break;
            offset += n;
            // A file growing while read is cut at the size the host allowed; what is sent is what is hashed.
            if (offset > maxBytes) throw new Protocol.HelperException(Protocol.ErrorCode.TooLarge, $"{name}: grew past {maxBytes} bytes");
            hash.Append(buffer.AsSpan(0, n));
            sink?.Invoke(buffer.AsSpan(0, n));
        }
        st.Size = offset;
        return hash.GetCurrentHash();
    }
}
