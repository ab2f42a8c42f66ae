using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Paude.Errors;

namespace Paude.Sync.Continuous.Helper;

/// <summary>Builds a request payload (big-endian integers, <c>u16</c>-prefixed UTF-8 strings).</summary>
internal sealed class HelperPayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(128);

    public ReadOnlyMemory<byte> Written => _buffer.WrittenMemory;

    public HelperPayloadWriter U8(byte v) { _buffer.Write([v]); return this; }

    public HelperPayloadWriter U16(ushort v) { BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), v); _buffer.Advance(2); return this; }

    public HelperPayloadWriter U32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), v); _buffer.Advance(4); return this; }

    public HelperPayloadWriter U64(ulong v) { BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), v); _buffer.Advance(8); return this; }

    public HelperPayloadWriter I64(long v) => U64(unchecked((ulong)v));

    public HelperPayloadWriter Raw(ReadOnlySpan<byte> v) { _buffer.Write(v); return this; }

    public HelperPayloadWriter String(string v)
    {
        var bytes = Encoding.UTF8.GetBytes(v);
        if (bytes.Length > HelperWire.MaxPathBytes) throw new ArgumentException($"'{v[..Math.Min(v.Length, 64)]}…' is longer than {HelperWire.MaxPathBytes} bytes", nameof(v));
        return U16((ushort)bytes.Length).Raw(bytes);
    }

    public HelperPayloadWriter Strings(IReadOnlyCollection<string> values)
    {
        U16(checked((ushort)values.Count));
        foreach (var v in values) String(v);
        return this;
    }
}

/// <summary>
/// Reads a reply payload from the helper. Every field is bounds-checked; a short, long or non-UTF-8 payload is an
/// <see cref="UnsafeContentException"/> (the helper runs where the agent can replace it).
/// </summary>
internal ref struct HelperPayloadReader(ReadOnlySpan<byte> payload)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private ReadOnlySpan<byte> _rest = payload;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public long I64() => unchecked((long)U64());

    public byte[] Bytes(int n) => Take(n).ToArray();

    public string String()
    {
        int n = U16();
        if (n > HelperWire.MaxPathBytes) throw Bad($"a string of {n} bytes");
        try { return StrictUtf8.GetString(Take(n)); }
        catch (DecoderFallbackException) { throw Bad("a string that is not UTF-8"); }
    }

    public byte[] Blob()
    {
        uint n = U32();
        if (n > (uint)_rest.Length) throw Bad("a blob longer than its frame");
        return Take((int)n).ToArray();
    }

    public readonly bool AtEnd => _rest.IsEmpty;

    public readonly void End()
    {
        if (!_rest.IsEmpty) throw Bad($"{_rest.Length} bytes after the payload");
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _rest.Length) throw Bad("a payload that ends inside a field");
        var s = _rest[..n];
        _rest = _rest[n..];
        return s;
    }

    private static UnsafeContentException Bad(string what) => new("session helper", $"sent {what}");
}
