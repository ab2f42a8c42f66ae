using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LibGit2Sharp;

namespace Paude.Sync.Git;

/// <summary>
/// Writes a git index (format version 2) holding one commit's tree, byte for byte what <c>git read-tree
/// &lt;commit&gt;</c> writes, minus its optional cache-tree extension: every entry at stage 0 with its mode and object id
/// and no stat data (git compares the files' content on the first status, as after <c>read-tree</c>). The first push
/// ships it with the objects, so the session does not start a <c>git read-tree</c> that re-reads every tree.
/// </summary>
internal static class GitIndexFile
{
    private const int FixedEntryLength = 62; // 10 × 4 bytes of stat data and mode, 20 bytes of id, 2 bytes of flags
    private const int MaxFlagNameLength = 0xFFF;
    private static readonly byte[] Nuls = new byte[8];

    /// <summary>One index entry: a path (<c>/</c>-separated, as in the tree), its mode and its object id.</summary>
    public readonly record struct Entry(string Path, Mode Mode, ObjectId Id);

    /// <summary>The index file's bytes for <paramref name="entries"/> (any order; paths must be distinct).</summary>
    public static byte[] Build(IEnumerable<Entry> entries)
    {
        // Git orders entries by the bytes of their path (memcmp), not by UTF-16 code units.
        var sorted = entries.Select(e => (Name: Encoding.UTF8.GetBytes(e.Path), e.Mode, e.Id)).ToList();
        sorted.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));

        using var output = new MemoryStream(12 + (sorted.Count * 96) + 20);
        Span<byte> word = stackalloc byte[4];
        output.Write("DIRC"u8);
        WriteUInt32(output, word, 2);
        WriteUInt32(output, word, (uint)sorted.Count);
        Span<byte> fixedPart = stackalloc byte[FixedEntryLength];
        foreach (var (name, mode, id) in sorted)
        {
            fixedPart.Clear(); // ctime, mtime, dev, ino: zero, as read-tree leaves them
            BinaryPrimitives.WriteUInt32BigEndian(fixedPart[24..], ModeBits(mode));
            id.RawId.CopyTo(fixedPart[40..]); // uid, gid and size (28..40) stay zero
            BinaryPrimitives.WriteUInt16BigEndian(fixedPart[60..], (ushort)Math.Min(name.Length, MaxFlagNameLength));
            output.Write(fixedPart);
            output.Write(name);

            // 1 to 8 NULs: the path is NUL-terminated and the entry padded to a multiple of 8 bytes.
            var padding = 8 - ((FixedEntryLength + name.Length) % 8);
            output.Write(Nuls, 0, padding);
        }

#pragma warning disable CA5350 // The index's trailing checksum is SHA-1 by git's format; it guards nothing secret.
        output.Write(SHA1.HashData(output.GetBuffer().AsSpan(0, (int)output.Length)));
#pragma warning restore CA5350
        return output.ToArray();
    }

    private static uint ModeBits(Mode mode) => mode switch
    {
        Mode.NonExecutableFile or Mode.NonExecutableGroupWritableFile => 0x81A4, // 100644 (git drops the group bit)
        Mode.ExecutableFile => 0x81ED, // 100755
        Mode.SymbolicLink => 0xA000, // 120000
        Mode.GitLink => 0xE000, // 160000
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not an index entry mode"),
    };

    private static void WriteUInt32(Stream output, Span<byte> word, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(word, value);
        output.Write(word);
    }
}
