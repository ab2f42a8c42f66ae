using System.Formats.Tar;
using System.Text;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Tests.Tar;

/// <summary>
/// The guard in front of the framework's tar reader (issue 17): oversized extended headers are refused before the
/// reader allocates what they claim, and the guard's idea of where the next header starts is the reader's
/// (PAX size overrides, base-256 sizes, padding), so a header hidden in file data is data and a header the reader
/// will parse is never skipped. Archives come from real GNU tar and from headers built byte by byte.
/// </summary>
public sealed class TarFramingGuardTests : IDisposable
{
    private const int Cap = TarFramingGuard.MaxExtendedHeaderBytes;
    private readonly DirectoryInfo _tmp = Directory.CreateTempSubdirectory("paude-guard-");

    public void Dispose() => _tmp.Delete(recursive: true);

    [Fact]
    public async Task The_fuzz_finding_is_refused_without_allocating_what_it_claims()
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(RepositoryRoot.Path, "tests", "Paude.Fuzz", "Regressions", "tar", "extended-header-claims-1gib"));
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ExtractAsync(input));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(allocated < 64L * 1024 * 1024, $"refusing a {input.Length}-byte archive allocated {allocated} bytes");
        Assert.Contains("extended header", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((byte)'L')]
    [InlineData((byte)'K')]
    [InlineData((byte)'x')]
    [InlineData((byte)'g')]
    public async Task An_extended_header_claiming_a_gib_is_refused(byte type)
    {
        var archive = Concat(Header("././@LongLink", type, Octal(1L << 30)), new byte[Block]);
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(archive));
        Assert.Contains($"'{(char)type}' extended header of {1L << 30} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_name_of_exactly_the_cap_passes_and_one_byte_more_is_refused()
    {
        var name = Encoding.ASCII.GetBytes(string.Join('/', Enumerable.Repeat(new string('n', 99), (Cap / 100) + 1)))[..(Cap - 1)];
        var atCap = Concat(GnuLong('L', [.. name, 0]), Header("short", (byte)'0', Octal(3)), Padded("abc"u8.ToArray()), End());
        var entries = await ReadThroughAsync(atCap);
        Assert.Equal(Cap - 1, Assert.Single(entries).Length);

        var overCap = Concat(GnuLong('L', [.. name, (byte)'n', 0]), Header("short", (byte)'0', Octal(3)), Padded("abc"u8.ToArray()), End());
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(overCap));
        Assert.Contains($"extended header of {Cap + 1} bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pax_size_override_decides_where_the_next_header_is()
    {
        // The file header says 0 bytes, its PAX header says 1024: the 1024 bytes are data although they look like a
        // GNU long-name header claiming 1 GiB. A guard reading the header's own size would refuse an honest archive.
        var decoy = Padded(Concat(Header("././@LongLink", (byte)'L', Octal(1L << 30)), new byte[Block]));
        var honest = Concat(Pax("size", "1024"), Header("data.bin", (byte)'0', Octal(0)), decoy, End());
        Assert.Equal(["data.bin"], await ReadThroughAsync(honest));

        // The other way round: the header claims 1024, the PAX record says 0, so the reader takes the next block as a
        // header; the guard must see that header too.
        var hostile = Concat(Pax("size", "0"), Header("data.bin", (byte)'0', Octal(1024)), decoy, End());
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(hostile));
        Assert.Contains("extended header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_base256_size_is_followed_like_an_octal_one()
    {
        var decoy = Padded(Concat(Header("././@LongLink", (byte)'L', Octal(1L << 30)), new byte[Block]));
        var honest = Concat(Header("data.bin", (byte)'0', Base256(1024)), decoy, End());
        Assert.Equal(["data.bin"], await ReadThroughAsync(honest));

        var hostile = Concat(Header("././@LongLink", (byte)'K', Base256(1L << 30)), End());
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(hostile));
        Assert.Contains($"extended header of {1L << 30} bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("13 size=1024\n10 size=0\n", "two PAX size records")]
    [InlineData("99 path=x\n", "malformed PAX record")]
    [InlineData("14 size=-1024\n", "not a size")]
    public async Task Pax_records_the_guard_cannot_read_as_the_reader_does_are_refused(string records, string reason)
    {
        var archive = Concat(Header("PaxHeaders/x", (byte)'x', Octal(records.Length)), Padded(Encoding.ASCII.GetBytes(records)), Header("x", (byte)'0', Octal(0)), End());
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(archive));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_extended_header_inside_a_long_name_sequence_is_refused()
    {
        // The reader would take the PAX header as the entry the long name belongs to and not apply its size to the
        // header after it; the guard would then disagree about framing, so the sequence is refused.
        var archive = Concat(GnuLong('L', "name\0"u8.ToArray()), Pax("size", "0"), Header("x", (byte)'0', Octal(0)), End());
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => ReadThroughAsync(archive));
        Assert.Contains("inside a GNU long-name sequence", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gnu")]
    [InlineData("pax")]
    [InlineData("ustar")]
    public async Task Archives_from_gnu_tar_pass_unchanged(string format)
    {
        var source = _tmp.CreateSubdirectory("src");
        var deep = Path.Combine(source.FullName, string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", format == "ustar" ? 3 : 12)));
        Directory.CreateDirectory(deep);
        await File.WriteAllBytesAsync(Path.Combine(deep, "big.bin"), Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray());
        await File.WriteAllTextAsync(Path.Combine(source.FullName, "small.txt"), "hello");
        File.CreateSymbolicLink(Path.Combine(source.FullName, "link"), "small.txt");
        using var archive = await ProcessRunner.RunBinaryAsync("tar", ["-cf", "-", $"--format={format}", "-C", source.FullName, "."]);

        var target = Path.Combine(_tmp.FullName, "out");
        await SafeTarExtractor.ExtractAsync(archive, target);

        var big = Path.Combine(target, Path.GetRelativePath(source.FullName, deep), "big.bin");
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(deep, "big.bin")), await File.ReadAllBytesAsync(big));
        Assert.Equal("hello", await File.ReadAllTextAsync(Path.Combine(target, "small.txt")));
        Assert.Equal("small.txt", new FileInfo(Path.Combine(target, "link")).LinkTarget);
    }

    private const int Block = 512;

    private async Task ExtractAsync(byte[] archive)
    {
        using var stream = new MemoryStream(archive, writable: false);
        await SafeTarExtractor.ExtractAsync(stream, Path.Combine(_tmp.FullName, "out"));
    }

    /// <summary>Reads every entry (and its data) through the guard with the framework's reader; returns the names.</summary>
    private static async Task<List<string>> ReadThroughAsync(byte[] archive)
    {
        var names = new List<string>();
        await using var guard = new TarFramingGuard(new MemoryStream(archive, writable: false));
        await using var reader = new TarReader(guard);
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            names.Add(entry.Name);
            if (entry.DataStream is { } data)
            {
                await data.CopyToAsync(Stream.Null);
            }
        }

        return names;
    }

    private static byte[] Header(string name, byte type, byte[] size)
    {
        var header = new byte[Block];
        Encoding.ASCII.GetBytes(name).CopyTo(header, 0);
        "0000644\0"u8.CopyTo(header.AsSpan(100));
        "0000000\0"u8.CopyTo(header.AsSpan(108));
        "0000000\0"u8.CopyTo(header.AsSpan(116));
        size.CopyTo(header, 124);
        "00000000000\0"u8.CopyTo(header.AsSpan(136));
        header[156] = type;
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        "        "u8.CopyTo(header.AsSpan(148));
        var sum = header.Sum(b => b);
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header, 148);
        return header;
    }

    private static byte[] GnuLong(char type, byte[] name) => Concat(Header("././@LongLink", (byte)type, Octal(name.Length)), Padded(name));

    private static byte[] Pax(string key, string value)
    {
        var record = $" {key}={value}\n";
        var length = record.Length + 1;
        length = record.Length + length.ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        var data = Encoding.ASCII.GetBytes(length.ToString(System.Globalization.CultureInfo.InvariantCulture) + record);
        return Concat(Header("PaxHeaders/x", (byte)'x', Octal(data.Length)), Padded(data));
    }

    private static byte[] Octal(long value) => Encoding.ASCII.GetBytes(Convert.ToString(value, 8).PadLeft(11, '0') + "\0");

    private static byte[] Base256(long value)
    {
        var field = new byte[12];
        field[0] = 0x80;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(field.AsSpan(4), value);
        return field;
    }

    private static byte[] Padded(byte[] data) => [.. data, .. new byte[(Block - (data.Length % Block)) % Block]];

    private static byte[] End() => new byte[2 * Block];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
