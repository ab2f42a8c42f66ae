using System.Buffers.Binary;

namespace Paude.SessionHelper.Protocol;

/// <summary>One frame: its type, the request id it belongs to, and its payload.</summary>
internal readonly record struct Frame(MessageType Type, uint Id, byte[] Payload);

/// <summary>
/// Reads and writes frames: <c>u32 length (big-endian)</c>, then <c>u8 type</c>, <c>u32 id</c> and the payload;
/// length counts type + id + payload and is bounded by <see cref="Limits.MaxFrame"/>.
/// </summary>
internal sealed class FrameIO(Stream input, Stream output)
{
    private readonly Lock _writeLock = new();

    /// <summary>Reads one frame; null at a clean end of input (between frames).</summary>
    /// <exception cref="HelperException">A torn or oversized frame (fatal: the stream cannot be resynchronised).</exception>
    public Frame? Read()
    {
        Span<byte> header = stackalloc byte[9];
        int got = ReadFull(header[..4], allowEof: true);
        if (got == 0) return null;
        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length < 5 || length > Limits.MaxFrame)
            throw new HelperException(ErrorCode.BadFrame, $"frame length {length} outside 5..{Limits.MaxFrame}");
        ReadFull(header.Slice(4, 5), allowEof: false);
        var payload = new byte[length - 5];
        ReadFull(payload, allowEof: false);
        return new Frame((MessageType)header[4], BinaryPrimitives.ReadUInt32BigEndian(header[5..]), payload);
    }

    /// <summary>Writes one frame atomically with respect to other writers (the watch thread writes too).</summary>
    public void Write(MessageType type, uint id, ReadOnlySpan<byte> payload)
    {
        if (payload.Length + 5 > Limits.MaxFrame) throw new InvalidOperationException("reply frame too large");
        Span<byte> header = stackalloc byte[9];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(payload.Length + 5));
        header[4] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(header[5..], id);
        lock (_writeLock)
        {
            output.Write(header);
            output.Write(payload);
            output.Flush();
        }
    }

    public void Write(MessageType type, uint id, PayloadWriter payload) => Write(type, id, payload.WrittenSpan);

    public void WriteError(uint id, ErrorCode code, string message)
    {
        var w = new PayloadWriter();
        w.U16((ushort)code);
        w.String(message.Length > 1024 ? message[..1024] : message);
        Write(MessageType.Error, id, w);
    }

    private int ReadFull(Span<byte> buffer, bool allowEof)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = input.Read(buffer[total..]);
            if (n == 0)
            {
                if (allowEof && total == 0) return 0;
                throw new HelperException(ErrorCode.BadFrame, "input ended inside a frame");
            }
            total += n;
        }
        return total;
    }
}
