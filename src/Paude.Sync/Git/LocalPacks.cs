using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Paude.Sync.Git;

/// <summary>
/// The local repository's packs, read through their version-2 indexes, so a first push can copy a packed object's
/// stored (already deflated) bytes into its own pack instead of inflating and deflating it again: for a packed
/// 50 MB repository that was most of the push's host time, and the re-deflated objects were 1.6× the bytes.
/// <para>
/// Only the chosen objects' entries are read, never a whole pack. A pack is used only when its index is version 2
/// and names the pack's own checksum and object count; anything else (version 1 index, a pack being rewritten, an
/// index without its pack) is left to the caller's libgit2 read. The files are opened once, so a <c>git gc</c>
/// replacing them meanwhile cannot mix two generations.
/// </para>
/// </summary>
internal sealed class LocalPacks : IDisposable
{
    private const int ShaLength = 20;
    private readonly List<Pack> _packs = [];

    private LocalPacks()
    {
    }

    /// <summary>The raw kinds of a pack entry (git's <c>OBJ_*</c>).</summary>
    public const int OfsDelta = 6;

    /// <inheritdoc cref="OfsDelta"/>
    public const int RefDelta = 7;

    /// <summary>The packs of <paramref name="objectsDirectory"/> with a usable index, in name order (a fixed order: see <see cref="TryLocate"/>).</summary>
    public static LocalPacks Open(string objectsDirectory)
    {
        var packs = new LocalPacks();
        var folder = Path.Combine(objectsDirectory, "pack");
        if (!Directory.Exists(folder))
        {
            return packs;
        }

        foreach (var index in Directory.EnumerateFiles(folder, "pack-*.idx").Order(StringComparer.Ordinal))
        {
            var pack = Pack.TryOpen(index, Path.ChangeExtension(index, ".pack"));
            if (pack is not null)
            {
                packs._packs.Add(pack);
            }
        }

        return packs;
    }

    /// <summary>
    /// The stored entry of <paramref name="sha"/> in the first pack (in <see cref="Open"/>'s order) holding it.
    /// Taking always the first pack keeps every delta chain inside one pack, so chains copied from here stay acyclic.
    /// </summary>
    public bool TryLocate(ReadOnlySpan<byte> sha, out Entry entry)
    {
        foreach (var pack in _packs)
        {
            if (pack.TryFind(sha, out var position))
            {
                entry = pack.Read(position);
                return true;
            }
        }

        entry = default;
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var pack in _packs)
        {
            pack.Dispose();
        }
    }

    /// <summary>
    /// One stored entry: its kind (1-4 whole object, <see cref="OfsDelta"/>, <see cref="RefDelta"/>), the size in its
    /// header, the base of a delta (its id, found through the index for an offset delta), and where its deflated data
    /// lies in the pack file.
    /// </summary>
    public readonly record struct Entry(Pack Pack, int Kind, long Size, byte[]? Base, long DataOffset, long DataLength)
    {
        /// <summary>Copies the deflated data to <paramref name="output"/>.</summary>
        public void CopyData(Action<ReadOnlySpan<byte>> output, byte[] buffer)
        {
            for (long done = 0; done < DataLength;)
            {
                var n = RandomAccess.Read(Pack.Handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, DataLength - done)), DataOffset + done);
                if (n <= 0)
                {
                    throw new EndOfStreamException("A local pack ended inside an entry.");
                }

                output(buffer.AsSpan(0, n));
                done += n;
            }
        }
    }

    /// <summary>One pack with its index in memory (ids, offsets) and the entries' offsets in pack order.</summary>
    public sealed class Pack : IDisposable
    {
        private readonly byte[] _index;
        private readonly int _count;
        private readonly long _end; // where the pack's trailing checksum starts: the last entry ends there
        private long[]? _sortedOffsets;
        private int[]? _positionAt;

        private Pack(SafeFileHandle handle, byte[] index, int count, long end)
        {
            Handle = handle;
            _index = index;
            _count = count;
            _end = end;
        }

        public SafeFileHandle Handle { get; }

        public static Pack? TryOpen(string indexPath, string packPath)
        {
            SafeFileHandle? handle = null;
            try
            {
                var index = File.ReadAllBytes(indexPath);
                handle = File.OpenHandle(packPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var length = RandomAccess.GetLength(handle);

                // v2: "\377tOc", version 2, fanout[256], ids, CRCs, 4-byte offsets, 8-byte offsets, pack checksum, own checksum.
                if (index.Length < 8 + 1024 + 40 || BinaryPrimitives.ReadUInt32BigEndian(index) != 0xff744f63 || BinaryPrimitives.ReadUInt32BigEndian(index.AsSpan(4)) != 2)
                {
                    handle.Dispose();
                    return null;
                }

                var count = BinaryPrimitives.ReadUInt32BigEndian(index.AsSpan(8 + (255 * 4)));
                Span<byte> header = stackalloc byte[12];
                Span<byte> checksum = stackalloc byte[ShaLength];
                if (count > int.MaxValue / 32 || index.Length < 8 + 1024 + ((long)count * 28) + 40 || length < 12 + ShaLength
                    || RandomAccess.Read(handle, header, 0) != 12 || !header[..4].SequenceEqual("PACK"u8)
                    || BinaryPrimitives.ReadUInt32BigEndian(header[8..]) != count
                    || RandomAccess.Read(handle, checksum, length - ShaLength) != ShaLength
                    || !checksum.SequenceEqual(index.AsSpan(index.Length - (2 * ShaLength), ShaLength)))
                {
                    handle.Dispose();
                    return null;
                }

                return new Pack(handle, index, (int)count, length - ShaLength);
            }
            catch (IOException)
            {
                handle?.Dispose();
                return null;
            }
            catch (UnauthorizedAccessException)
            {
                handle?.Dispose();
                return null;
            }
        }

        /// <summary>Binary search of the sorted ids between the fanout bounds of the first byte.</summary>
        public bool TryFind(ReadOnlySpan<byte> sha, out int position)
        {
            var lo = sha[0] == 0 ? 0 : (int)BinaryPrimitives.ReadUInt32BigEndian(_index.AsSpan(8 + ((sha[0] - 1) * 4)));
            var hi = (int)BinaryPrimitives.ReadUInt32BigEndian(_index.AsSpan(8 + (sha[0] * 4)));
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                var order = _index.AsSpan(Names + (mid * ShaLength), ShaLength).SequenceCompareTo(sha);
                if (order == 0)
                {
                    position = mid;
                    return true;
                }

                if (order < 0)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            position = -1;
            return false;
        }

        private static int Names => 8 + 1024;

        private ReadOnlySpan<byte> IdAt(int position) => _index.AsSpan(Names + (position * ShaLength), ShaLength);

        private long OffsetAt(int position)
        {
            var offsets = Names + (_count * (ShaLength + 4));
            var small = BinaryPrimitives.ReadUInt32BigEndian(_index.AsSpan(offsets + (position * 4)));
            if ((small & 0x8000_0000) == 0)
            {
                return small;
            }

            var large = offsets + (_count * 4) + ((int)(small & 0x7fff_ffff) * 8);
            if (large + 8 > _index.Length - (2 * ShaLength))
            {
                throw new InvalidDataException("A local pack index points outside its large-offset table.");
            }

            return (long)BinaryPrimitives.ReadUInt64BigEndian(_index.AsSpan(large));
        }

        /// <summary>Reads the entry header at the object's offset; its data ends where the next entry (in pack order) starts.</summary>
        public Entry Read(int position)
        {
            EnsureSorted();
            var offset = OffsetAt(position);
            var next = Array.BinarySearch(_sortedOffsets!, offset) + 1;
            var end = next < _count ? _sortedOffsets![next] : _end;

            Span<byte> header = stackalloc byte[64];
            var n = end - offset < 2 ? 0 : RandomAccess.Read(Handle, header[..(int)Math.Min(header.Length, end - offset)], offset);
            if (n < 2)
            {
                throw new InvalidDataException("A local pack entry is cut.");
            }

            var at = 0;
            var c = header[at++];
            var kind = (c >> 4) & 7;
            long size = c & 0x0f;
            for (var shift = 4; (c & 0x80) != 0; shift += 7)
            {
                if (at >= n || shift > 56)
                {
                    throw new InvalidDataException("A local pack entry header is malformed.");
                }

                c = header[at++];
                size |= (long)(c & 0x7f) << shift;
            }

            byte[]? baseId = null;
            if (kind == OfsDelta)
            {
                // git's offset encoding: big-endian base-128 with one added per continuation byte.
                if (at >= n)
                {
                    throw new InvalidDataException("A local pack delta offset is cut.");
                }

                c = header[at++];
                long distance = c & 0x7f;
                while ((c & 0x80) != 0)
                {
                    if (at >= n || distance > (long.MaxValue >> 8))
                    {
                        throw new InvalidDataException("A local pack delta offset is malformed.");
                    }

                    c = header[at++];
                    distance = ((distance + 1) << 7) | (long)(c & 0x7f);
                }

                var found = Array.BinarySearch(_sortedOffsets!, offset - distance);
                if (distance <= 0 || found < 0)
                {
                    throw new InvalidDataException("A local pack delta names a base that is not an entry.");
                }

                baseId = IdAt(_positionAt![found]).ToArray();
            }
            else if (kind == RefDelta)
            {
                if (at + ShaLength > n)
                {
                    throw new InvalidDataException("A local pack delta base is cut.");
                }

                baseId = header.Slice(at, ShaLength).ToArray();
                at += ShaLength;
            }

            return new Entry(this, kind, size, baseId, offset + at, end - offset - at);
        }

        /// <summary>The offsets in pack order (and the index position at each): built once, on the first read.</summary>
        private void EnsureSorted()
        {
            if (_sortedOffsets is not null)
            {
                return;
            }

            var offsets = new long[_count];
            var positions = new int[_count];
            for (var i = 0; i < _count; i++)
            {
                offsets[i] = OffsetAt(i);
                positions[i] = i;
            }

            Array.Sort(offsets, positions);
            _sortedOffsets = offsets;
            _positionAt = positions;
        }

        /// <inheritdoc />
        public void Dispose() => Handle.Dispose();
    }
}
