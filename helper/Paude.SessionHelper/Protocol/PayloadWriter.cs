using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Paude.SessionHelper.Protocol;

/// <summary>Builds a payload: big-endian integers, strings as <c>u16 length + UTF-8</c>, blobs as <c>u32 length + bytes</c>.</summary>
internal sealed class PayloadWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void U8(byte value) => _buffer.Write([value]);

    public void U16(ushort value) { BinaryPrimitives.WriteUInt16BigEndian(_buffer.GetSpan(2), value); _buffer.Advance(2); }

    public void U32(uint value) { BinaryPrimitives.WriteUInt32BigEndian(_buffer.GetSpan(4), value); _buffer.Advance(4); }

    public void I32(int value) => U32(unchecked((uint)value));

    public void U64(ulong value) { BinaryPrimitives.WriteUInt64BigEndian(_buffer.GetSpan(8), value); _buffer.Advance(8); }

    public void I64(long value) => U64(unchecked((ulong)value));

    public void String(string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        if (n > ushort.MaxValue) throw new InvalidOperationException("string too long for the protocol");
        U16((ushort)n);
        Encoding.UTF8.GetBytes(value, _buffer.GetSpan(n));
        _buffer.Advance(n);
    }

    public void Raw(ReadOnlySpan<byte> value) => _buffer.Write(value);

    public void Blob(ReadOnlySpan<byte> value) { U32((uint)value.Length); _buffer.Write(value); }
}
