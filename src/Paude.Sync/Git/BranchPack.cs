using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LibGit2Sharp;
using Paude.Sync.Transport;

namespace Paude.Sync.Git;

/// <summary>
/// Writes chosen objects of the local repository into a tar as one new pack (<c>.git/objects/pack/pack-&lt;sha&gt;.pack</c>,
/// version 2). This is how a first push sends packed history without sending the repository's packs (they hold
/// objects the session must not see). One file instead of one per object: creating thousands of files is what costs
/// in the session. Its index travels with it (<see cref="PackIndexFile"/>), so the session has nothing to re-inflate.
/// <para>
/// Each object's stored entry is copied as it is when it can be (<see cref="LocalPacks"/>): a whole object verbatim,
/// a delta when its base is sent in this pack too and lies in the same local pack (written as a delta by id, so its
/// place in the new pack does not matter). Everything else — a loose object, a delta on an object the session must
/// not get, an unreadable entry — is read through libgit2 and deflated here, whole.
/// </para>
/// </summary>
internal static class BranchPack
{
    public static void Write(TarWriter writer, string objectsDirectory, IReadOnlyList<ObjectId> ids, UnixFileMode mode, string scratchDirectory, CancellationToken cancellationToken)
    {
        var api = LibGit2Native.Instance;
        if (api.OdbOpen(out var odb, objectsDirectory) < 0)
        {
            throw new SyncTransportException($"The local object database could not be opened: {api.LastError()}");
        }

        Directory.CreateDirectory(scratchDirectory);
        var temp = Path.Combine(scratchDirectory, $"push-{Guid.NewGuid():N}.pack");
        try
        {
            byte[] trailer;
            var index = new List<PackIndexFile.Entry>(ids.Count);
            using (var packs = LocalPacks.Open(objectsDirectory))
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1024 * 1024))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1))
            {
                var crc = new Crc32();
                void Put(ReadOnlySpan<byte> bytes)
                {
                    hash.AppendData(bytes);
                    crc.Append(bytes);
                    file.Write(bytes);
                }

                Span<byte> header = stackalloc byte[12];
                "PACK"u8.CopyTo(header);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header[4..], 2);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(header[8..], (uint)ids.Count);
                Put(header);
                var sent = new HashSet<ObjectId>(ids);
                var compressed = new MemoryStream();
                var buffer = new byte[256 * 1024];
                foreach (var id in ids)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var raw = id.RawId;
                    var offset = file.Position;
                    crc.Reset();
                    if (TryStored(packs, raw, sent, out var stored))
                    {
                        Put(ObjectHeader(stored.Base is null ? stored.Kind : LocalPacks.RefDelta, stored.Size));
                        if (stored.Base is not null)
                        {
                            Put(stored.Base);
                        }

                        stored.CopyData(Put, buffer);
                    }
                    else
                    {
                        compressed.SetLength(0);
                        var (type, size) = Deflate(api, odb, id, compressed);
                        Put(ObjectHeader(type, size));
                        Put(compressed.GetBuffer().AsSpan(0, (int)compressed.Length));
                    }

                    index.Add(new PackIndexFile.Entry(raw, offset, crc.GetCurrentHashAsUInt32()));
                }

                trailer = hash.GetHashAndReset();
                file.Write(trailer);
            }

            var name = $".git/objects/pack/pack-{Convert.ToHexStringLower(trailer)}";
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name + ".pack")
            {
                DataStream = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, 1),
                Mode = mode,
            });

            // After the pack: the session script indexes a pack whose index did not arrive.
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name + ".idx") { DataStream = new MemoryStream(PackIndexFile.Build(index, trailer)), Mode = mode });
        }
        finally
        {
            api.OdbFree(odb);
            File.Delete(temp);
        }
    }

    /// <summary>
    /// The object's stored entry when it can travel as it is: a whole object, or a delta whose base is sent too and is
    /// in the same local pack (then every reused chain stays inside one pack, see <see cref="LocalPacks.TryLocate"/>).
    /// A delta on anything else would make the session ask for — or get — an object it must not have.
    /// </summary>
    private static bool TryStored(LocalPacks packs, byte[] id, HashSet<ObjectId> sent, out LocalPacks.Entry entry)
    {
        try
        {
            if (!packs.TryLocate(id, out entry))
            {
                return false;
            }

            return entry.Kind switch
            {
                >= 1 and <= 4 => true,
                LocalPacks.OfsDelta or LocalPacks.RefDelta => sent.Contains(new ObjectId(entry.Base!)) && entry.Pack.TryFind(entry.Base, out _),
                _ => false,
            };
        }
        catch (InvalidDataException)
        {
            // A malformed local pack: libgit2 reads the object (or reports it unreadable, typed).
            entry = default;
            return false;
        }
    }

    /// <summary>The pack entry header: type in bits 4-6 of the first byte, the size in 4 + 7n bits, little-endian.</summary>
    private static byte[] ObjectHeader(int type, long size)
    {
        var bytes = new List<byte>(10);
        var first = (byte)((type << 4) | (int)(size & 0x0f));
        size >>= 4;
        bytes.Add(size > 0 ? (byte)(first | 0x80) : first);
        while (size > 0)
        {
            var next = (byte)(size & 0x7f);
            size >>= 7;
            bytes.Add(size > 0 ? (byte)(next | 0x80) : next);
        }

        return [.. bytes];
    }

    private static (int Type, long Size) Deflate(LibGit2Native api, IntPtr odb, ObjectId id, MemoryStream output)
    {
        if (api.OdbRead(out var obj, odb, Convert.FromHexString(id.Sha)) < 0)
        {
            throw new SyncTransportException($"The local object {id.Sha} could not be read: {api.LastError()}");
        }

        try
        {
            var type = api.ObjectType(obj);
            var size = (long)api.ObjectSize(obj);
            if (type is < 1 or > 4)
            {
                throw new SyncTransportException($"The local object {id.Sha} has an unknown type {type}.");
            }

            using (var zlib = new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                var data = api.ObjectData(obj);
                var buffer = new byte[(int)Math.Min(Math.Max(size, 1), 256 * 1024)];
                for (long offset = 0; offset < size;)
                {
                    var n = (int)Math.Min(buffer.Length, size - offset);
                    Marshal.Copy(data + (nint)offset, buffer, 0, n);
                    zlib.Write(buffer, 0, n);
                    offset += n;
                }
            }

            return (type, size);
        }
        finally
        {
            api.ObjectFree(obj);
        }
    }
}
