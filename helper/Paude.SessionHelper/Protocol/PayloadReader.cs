using System.Buffers.Binary;
using System.Text;

namespace Paude.SessionHelper.Protocol;

/// <summary>Reads a payload field by field; any field that runs past the end, or bytes left over, is a bad frame.</summary>
internal ref struct PayloadReader(ReadOnlySpan<byte> payload)
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);
    private ReadOnlySpan<byte> _rest = payload;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    public long I64() => unchecked((long)U64());

    public string String(int maxBytes)
    {
        int n = U16();
        if (n > maxBytes) throw new HelperException(ErrorCode.TooLarge, $"string of {n} bytes exceeds {maxBytes}");
        try { return StrictUtf8.GetString(Take(n)); }
        catch (DecoderFallbackException) { throw new HelperException(ErrorCode.BadFrame, "string is not UTF-8"); }
    }

    public ReadOnlySpan<byte> Bytes(int count) => Take(count);

    public ReadOnlySpan<byte> Blob()
    {
        uint n = U32();
        if (n > (uint)_rest.Length) throw new HelperException(ErrorCode.BadFrame, "blob runs past the frame");
        return Take((int)n);
    }

    public readonly void End()
    {
        if (!_rest.IsEmpty) throw new HelperException(ErrorCode.BadFrame, $"{_rest.Length} unexpected bytes after the payload");
    }

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > _rest.Length) throw new HelperException(ErrorCode.BadFrame, "payload ends inside a field");
        var s = _rest[..n];
        _rest = _rest[n..];
        return s;
    }
}
