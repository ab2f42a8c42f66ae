using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Paude.Errors;

namespace Paude.Execution;

/// <summary>
/// A read-through stream in front of the framework's <c>TarReader</c> that follows the tar framing as the bytes pass
/// and refuses an extended header (PAX <c>x</c>/<c>g</c>, GNU <c>L</c>/<c>K</c>) whose size is over
/// <see cref="MaxExtendedHeaderBytes"/> before the reader sees it.
/// </summary>
/// <remarks>
/// Why: the reader allocates an extended header's whole claimed size before reading a byte of it, so a 2 KB archive
/// from a hostile session claiming a 1 GiB long name costs the host 1 GiB (found by fuzzing, issue 17).
/// The framing followed is the reader's own: 512-byte blocks; a header whose checksum field is empty or zero has no
/// data (the reader's end marker); the size field is octal (cut at the first NUL, spaces trimmed) or base-256
/// (first byte 0x80: unsigned big-endian in the other 11 bytes; 0xFF: negative); data is padded to 512. A PAX
/// <c>x</c> header's <c>size=</c> record replaces the size of the header right after it, so the guard reads the
/// <c>x</c> data (at most the cap) and applies it the same way. Where the reader's behaviour is unusual — an
/// extended header where a GNU long-name sequence expects the entry, malformed or duplicate PAX records, a size
/// that does not parse — the guard refuses too (the reader would refuse most of these anyway), so the two can
/// never disagree about where the next header starts.
/// </remarks>
internal sealed class TarFramingGuard(Stream inner) : Stream
{
    /// <summary>The largest extended header accepted: long names and PAX records never come near it.</summary>
    public const int MaxExtendedHeaderBytes = 1024 * 1024;

    private const int Block = 512;
    private const int SizeOffset = 124;
    private const int SizeLength = 12;
    private const int ChecksumOffset = 148;
    private const int ChecksumLength = 8;
    private const int TypeFlagOffset = 156;

    private readonly byte[] _header = new byte[Block];
    private int _headerFill;

    // Bytes of the current entry's data still to come, then its padding to the block boundary.
    private long _dataLeft;
    private int _paddingLeft;

    // The data of a PAX 'x' header, kept (at most the cap) so its size= record can be read.
    private byte[]? _pax;
    private int _paxFill;

    // What the next header may be and which size it gets.
    private long? _sizeOverride;
    private bool _afterPax;
    private byte _gnuFirst;
    private int _gnuCount;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Inspect(buffer[..read]);
        return read;
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Inspect(buffer.Span[..read]);
        return read;
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>Follows the framing over bytes that passed; throws before they reach the reader.</summary>
    private void Inspect(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_dataLeft > 0)
            {
                var take = (int)Math.Min(_dataLeft, bytes.Length);
                if (_pax is not null)
                {
                    bytes[..take].CopyTo(_pax.AsSpan(_paxFill));
                    _paxFill += take;
                }

                _dataLeft -= take;
                bytes = bytes[take..];
                if (_dataLeft == 0 && _pax is not null)
                {
                    ReadPaxRecords(_pax);
                    _pax = null;
                }

                continue;
            }

            if (_paddingLeft > 0)
            {
                var take = Math.Min(_paddingLeft, bytes.Length);
                _paddingLeft -= take;
                bytes = bytes[take..];
                continue;
            }

            var fill = Math.Min(Block - _headerFill, bytes.Length);
            bytes[..fill].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += fill;
            bytes = bytes[fill..];
            if (_headerFill == Block)
            {
                _headerFill = 0;
                OnHeader(_header);
            }
        }
    }

    private void OnHeader(ReadOnlySpan<byte> header)
    {
        var checksum = header.Slice(ChecksumOffset, ChecksumLength);
        if (!checksum.ContainsAnyExcept((byte)0) || ParseOctal(checksum) == 0)
        {
            return; // The reader's end marker: no data follows it.
        }

        var type = header[TypeFlagOffset];
        var size = ParseSize(header.Slice(SizeOffset, SizeLength));
        var extended = type is (byte)'x' or (byte)'g' or (byte)'L' or (byte)'K';
        CheckSequence(type);
        if (!extended && _sizeOverride is { } overridden)
        {
            size = overridden;
        }

        _sizeOverride = null;
        if (extended && size > MaxExtendedHeaderBytes)
        {
            throw Invalid($"has a '{(char)type}' extended header of {size} bytes; the limit is {MaxExtendedHeaderBytes}");
        }

        if (type == (byte)'x' && size > 0)
        {
            _pax = new byte[size];
            _paxFill = 0;
        }

        _dataLeft = size;
        _paddingLeft = (int)((Block - (size % Block)) % Block);
    }

    /// <summary>Allows exactly the metadata sequences whose effect on framing the guard and the reader agree on.</summary>
    private void CheckSequence(byte type)
    {
        var gnu = type is (byte)'L' or (byte)'K';
        var pax = type is (byte)'x' or (byte)'g';
        if (_afterPax && (gnu || pax))
        {
            throw Invalid($"has a '{(char)type}' header right after a PAX 'x' header");
        }

        if (_gnuCount > 0 && (pax || (gnu && (type == _gnuFirst || _gnuCount == 2))))
        {
            throw Invalid($"has a '{(char)type}' header inside a GNU long-name sequence");
        }

        _afterPax = type == (byte)'x';
        if (gnu)
        {
            _gnuFirst = _gnuCount == 0 ? type : _gnuFirst;
            _gnuCount++;
        }
        else
        {
            _gnuCount = 0;
        }
    }

    /// <summary>Reads the PAX records as the reader does ("LENGTH key=value\n"); only size= matters for framing.</summary>
    private void ReadPaxRecords(ReadOnlySpan<byte> data)
    {
        string? size = null;
        while (!data.IsEmpty)
        {
            var newline = data.IndexOf((byte)'\n');
            var line = newline < 0 ? data : data[..newline];
            var space = line.IndexOf((byte)' ');
            if (newline < 0 || space < 0
                || !int.TryParse(line[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length != newline + 1)
            {
                throw Invalid("has a malformed PAX record");
            }

            var record = line[(space + 1)..];
            var equals = record.IndexOf((byte)'=');
            if (equals < 0)
            {
                throw Invalid("has a malformed PAX record");
            }

            if (record[..equals].SequenceEqual("size"u8))
            {
                if (size is not null)
                {
                    throw Invalid("has two PAX size records");
                }

                size = Encoding.UTF8.GetString(record[(equals + 1)..]);
            }

            data = data[(newline + 1)..];
        }

        if (!string.IsNullOrEmpty(size))
        {
            _sizeOverride = long.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
                ? value
                : throw Invalid($"has a PAX size '{size}' that is not a size");
        }
    }

    private static long ParseSize(ReadOnlySpan<byte> field)
    {
        switch (field[0])
        {
            case 0xFF:
                throw Invalid("has a negative size");
            case 0x80:
                var digits = field[1..];
                if (digits[..3].ContainsAnyExcept((byte)0) || (digits[3] & 0x80) != 0)
                {
                    throw Invalid("has a size too large to be real");
                }

                return BinaryPrimitives.ReadInt64BigEndian(digits[3..]);
            default:
                return ParseOctal(field);
        }
    }

    private static long ParseOctal(ReadOnlySpan<byte> field)
    {
        var nul = field.IndexOf((byte)0);
        var digits = (nul < 0 ? field : field[..nul]).Trim((byte)' ');
        long value = 0;
        foreach (var digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'7' || value > (long.MaxValue >> 3))
            {
                throw Invalid("has a malformed number in a header");
            }

            value = (value << 3) | (long)(digit - '0');
        }

        return value;
    }

    private static UnsafeContentException Invalid(string reason) => new("<archive>", $"is not a valid tar archive: it {reason}");
}
