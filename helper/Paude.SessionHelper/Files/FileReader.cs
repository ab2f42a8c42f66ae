using Paude.SessionHelper.Native;
using Paude.SessionHelper.Protocol;

namespace Paude.SessionHelper.Files;

/// <summary>Read: streams one regular file (never through a link) as Data frames, then ReadEnd with its hash.</summary>
internal static class FileReader
{
    public static void Run(Workspace workspace, FrameIO io, uint id, string path, long maxBytes)
    {
        var parts = Workspace.Split(path);
        if (parts.Length == 0) throw new HelperException(ErrorCode.IsDirectory, "the root is a folder");
        int dir = workspace.OpenDirectory(parts, parts.Length - 1, create: false);
        try
        {
            var digest = ContentHash.OfFile(dir, parts[^1], maxBytes, chunk => io.Write(MessageType.Data, id, chunk), out var st);
            var w = new PayloadWriter();
            w.U64((ulong)st.Size);
            w.I64(st.MTimeNs);
            w.U32(st.Mode & 0xFFF);
            w.Raw(digest);
            io.Write(MessageType.ReadEnd, id, w);
        }
        finally { Libc.close(dir); }
    }
}
