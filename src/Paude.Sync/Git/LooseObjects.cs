using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using LibGit2Sharp;
using Paude.Sync.Transport;

namespace Paude.Sync.Git;

/// <summary>
/// Writes chosen objects of the local repository into a tar as loose objects (<c>.git/objects/xx/yyyy</c>: zlib of
/// <c>"&lt;type&gt; &lt;size&gt;\0"</c> + content), read through libgit2 from wherever they are (packs included). This
/// is how a first push sends packed history without sending the packs themselves (they hold objects the session must
/// not see). Fast deflate: the channel is local, and the session's git reads any zlib level.
/// </summary>
internal static class LooseObjects
{
    private static readonly string[] TypeNames = ["", "commit", "tree", "blob", "tag"];

    public static void Write(TarWriter writer, string objectsDirectory, IEnumerable<ObjectId> ids, UnixFileMode mode, CancellationToken cancellationToken)
    {
        var api = LibGit2Native.Instance;
        if (api.OdbOpen(out var odb, objectsDirectory) < 0)
        {
            throw new SyncTransportException($"The local object database could not be opened: {api.LastError()}");
        }

        try
        {
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var loose = Deflate(api, odb, id);
                writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, $".git/objects/{id.Sha[..2]}/{id.Sha[2..]}") { DataStream = loose, Mode = mode });
            }
        }
        finally
        {
            api.OdbFree(odb);
        }
    }

    private static MemoryStream Deflate(LibGit2Native api, IntPtr odb, ObjectId id)
    {
        if (api.OdbRead(out var obj, odb, Convert.FromHexString(id.Sha)) < 0)
        {
            throw new SyncTransportException($"The local object {id.Sha} could not be read: {api.LastError()}");
        }

        try
        {
            var type = api.ObjectType(obj);
            var size = (long)api.ObjectSize(obj);
            if (type < 1 || type >= TypeNames.Length)
            {
                throw new SyncTransportException($"The local object {id.Sha} has an unknown type {type}.");
            }

            var output = new MemoryStream();
            using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                zlib.Write(Encoding.ASCII.GetBytes($"{TypeNames[type]} {size}\0"));
                var data = api.ObjectData(obj);
                var buffer = new byte[(int)Math.Min(size, 256 * 1024)];
                for (long offset = 0; offset < size;)
                {
                    var n = (int)Math.Min(buffer.Length, size - offset);
                    Marshal.Copy(data + (nint)offset, buffer, 0, n);
                    zlib.Write(buffer, 0, n);
                    offset += n;
                }
            }

            output.Position = 0;
            return output;
        }
        finally
        {
            api.ObjectFree(obj);
        }
    }
}
