using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Paude.Sync.Git;

/// <summary>
/// The version-2 index (<c>.idx</c>) of a pack the host wrote itself (<see cref="BranchPack"/>): what
/// <c>git index-pack</c> would build, from what the host already knows — every entry's id, offset and CRC-32. With it
/// the session needs no <c>index-pack</c> of the first push, which inflated and hashed every object again (≈0.35 s of
/// one core for 50 MB) while the tar pipe it is measured against does nothing of the kind. The objects come from the
/// user's own repository, as the loose objects sent next to them do, which the session does not re-hash either.
/// </summary>
internal static class PackIndexFile
{
    /// <summary>One pack entry: the object's id (20 bytes), where its entry starts, and the CRC-32 of the entry's bytes.</summary>
    public readonly record struct Entry(byte[] Id, long Offset, uint Crc);

    /// <summary>The index bytes for <paramref name="entries"/> (any order) of the pack whose checksum is <paramref name="packChecksum"/>.</summary>
    public static byte[] Build(List<Entry> entries, byte[] packChecksum)
    {
        entries.Sort((a, b) => a.Id.AsSpan().SequenceCompareTo(b.Id));
        var large = entries.Count(e => e.Offset > 0x7fff_ffff);
        var bytes = new byte[8 + 1024 + (entries.Count * 28) + (large * 8) + 40];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 0xff744f63); // "\377tOc"
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), 2);

        // Fanout: entry k counts the ids whose first byte is at most k.
        var counts = new int[256];
        foreach (var entry in entries)
        {
            counts[entry.Id[0]]++;
        }

        for (int k = 0, total = 0; k < 256; k++)
        {
            total += counts[k];
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(8 + (k * 4)), (uint)total);
        }

        var names = 8 + 1024;
        var crcs = names + (entries.Count * 20);
        var offsets = crcs + (entries.Count * 4);
        var largeOffsets = offsets + (entries.Count * 4);
        var nextLarge = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            entry.Id.CopyTo(bytes.AsSpan(names + (i * 20)));
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(crcs + (i * 4)), entry.Crc);
            if (entry.Offset > 0x7fff_ffff)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offsets + (i * 4)), 0x8000_0000 | (uint)nextLarge);
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(largeOffsets + (nextLarge * 8)), (ulong)entry.Offset);
                nextLarge++;
            }
            else
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(offsets + (i * 4)), (uint)entry.Offset);
            }
        }

        var trailer = largeOffsets + (large * 8);
        packChecksum.CopyTo(bytes.AsSpan(trailer));
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1); // git's own checksum, not a security boundary
        sha.AppendData(bytes.AsSpan(0, trailer + 20));
        sha.GetHashAndReset(bytes.AsSpan(trailer + 20));
        return bytes;
    }
}
