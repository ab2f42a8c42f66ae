using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// The server end of a SPDY/3.1 session as the kubelet's spdystream serves it (client streams only, no flow control):
/// reads frames until the client leaves, answers SYN_STREAM with SYN_REPLY (or RST_STREAM when
/// <see cref="ISpdyStreamHandler.Check"/> refuses it), echoes the client's PINGs, and hands each stream's DATA to it.
/// Every byte comes from a client the server does not trust: a malformed frame gets RST_STREAM when it concerns one
/// stream and GOAWAY (PROTOCOL_ERROR) plus the end of the session when the framing or header state is broken; the
/// server never throws for it.
/// </summary>
internal sealed class SpdyConnection(Stream transport) : IDisposable
{
    /// <summary>Streams one client may hold open at once (kubectl opens two per forwarded connection).</summary>
    public const int MaxStreams = 1000;

    private const int ControlFlagFin = 0x01;
    private const int MaxControlPayload = SpdyHeaderDecoder.MaxBlockBytes + 10;

    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly SpdyHeaderDecoder decoder = new();
    private readonly SpdyHeaderEncoder encoder = new();
    private readonly Dictionary<uint, SpdyStream> streams = [];
    private uint lastStreamId;

    /// <summary>Serves the session until the client closes it, breaks it, or <paramref name="ct"/> fires; then every stream is aborted.</summary>
    public async Task RunAsync(ISpdyStreamHandler handler, CancellationToken ct)
    {
        var reader = new BufferedStream(transport, 64 * 1024);
        var header = new byte[8];
        try
        {
            while (await ReadHeaderAsync(reader, header, ct).ConfigureAwait(false))
            {
                var first = BinaryPrimitives.ReadUInt32BigEndian(header);
                var flags = header[4];
                var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xFFFFFF);
                if ((first & 0x8000_0000) == 0)
                {
                    await DataFrameAsync(reader, first, flags, length, ct).ConfigureAwait(false);
                    continue;
                }

                if (((first >> 16) & 0x7FFF) != 3)
                {
                    throw new SpdyProtocolException($"SPDY version {(first >> 16) & 0x7FFF}, not 3");
                }

                if (length > MaxControlPayload)
                {
                    throw new SpdyProtocolException($"control frame of {length} bytes");
                }

                var payload = new byte[length];
                await reader.ReadExactlyAsync(payload, ct).ConfigureAwait(false);
                await ControlFrameAsync((int)(first & 0xFFFF), flags, payload, handler, ct).ConfigureAwait(false);
            }
        }
        catch (SpdyProtocolException)
        {
            await TrySendAsync(GoAway(lastStreamId, status: 1), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WebSocketException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away (or the session was cancelled): what it opened ends with it.
        }
        finally
        {
            SpdyStream[] open;
            lock (streams)
            {
                open = [.. streams.Values];
                streams.Clear();
            }

            foreach (var stream in open)
            {
                stream.EndInput();
                stream.Abort();
            }
        }
    }

    /// <summary>Refuses a stream (RST_STREAM) and aborts it.</summary>
    public async Task ResetAsync(SpdyStream stream, SpdyResetStatus status, CancellationToken ct)
    {
        stream.Abort();
        Forget(stream, force: true);
        await TrySendAsync(RstStream(stream.Id, status), ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        sendLock.Dispose();
        decoder.Dispose();
    }

    internal async Task SendDataAsync(uint id, ReadOnlyMemory<byte> data, bool fin, CancellationToken ct)
    {
        var frame = ArrayPool<byte>.Shared.Rent(data.Length + 8);
        try
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, id);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), (uint)((fin ? ControlFlagFin : 0) << 24) | (uint)data.Length);
            data.CopyTo(frame.AsMemory(8));
            await SendAsync(frame.AsMemory(0, data.Length + 8), ct).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Drops a stream from the table once both halves are closed (or at once when forced).</summary>
    internal void Forget(SpdyStream stream, bool force = false)
    {
        lock (streams)
        {
            if (force || (stream.LocalClosed && stream.RemoteClosed))
            {
                streams.Remove(stream.Id);
            }
        }
    }

    private static async Task<bool> ReadHeaderAsync(Stream reader, byte[] header, CancellationToken ct)
    {
        var read = await reader.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        return read == header.Length || (read == 0 ? false : throw new SpdyProtocolException("connection ended inside a frame header"));
    }

    private async Task ControlFrameAsync(int type, byte flags, byte[] payload, ISpdyStreamHandler handler, CancellationToken ct)
    {
        switch (type)
        {
            case 1: // SYN_STREAM: id, associated id, priority, slot, header block
                Require(payload.Length >= 10, "SYN_STREAM shorter than 10 bytes");
                await SynStreamAsync(StreamId(payload), flags, decoder.Decode(payload.AsSpan(10)), handler, ct).ConfigureAwait(false);
                break;
            case 2 or 8: // SYN_REPLY, HEADERS: nothing to do, but their blocks advance the zlib state
                Require(payload.Length >= 4, "SYN_REPLY/HEADERS shorter than 4 bytes");
                decoder.Decode(payload.AsSpan(4));
                break;
            case 3: // RST_STREAM
                Require(payload.Length == 8 && BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4)) != 0, "RST_STREAM not 8 bytes or status 0");
                if (Find(StreamId(payload)) is { } reset)
                {
                    reset.EndInput();
                    reset.Abort();
                    Forget(reset, force: true);
                }

                break;
            case 4: // SETTINGS: count, then 8 bytes each; nothing here depends on them
                Require(payload.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(payload) == (uint)(payload.Length - 4) / 8 && payload.Length % 8 == 4, "SETTINGS length does not match its count");
                break;
            case 6: // PING: the client's ids are odd; an even one would answer a ping the server never sends
                Require(payload.Length == 4 && BinaryPrimitives.ReadUInt32BigEndian(payload) != 0, "PING not 4 bytes or id 0");
                if ((payload[3] & 1) == 1)
                {
                    await SendAsync(Control(6, 0, payload), ct).ConfigureAwait(false);
                }

                break;
            case 7: // GOAWAY: the client opens nothing more; what is open finishes, then it closes the connection
                Require(payload.Length == 8, "GOAWAY not 8 bytes");
                break;
            case 9: // WINDOW_UPDATE: spdystream does no flow control
                Require(payload.Length == 8, "WINDOW_UPDATE not 8 bytes");
                break;
            default: // SPDY/3 2.2.1: a control frame of an unknown type is ignored
                break;
        }
    }

    private async Task SynStreamAsync(uint id, byte flags, Dictionary<string, string[]> headers, ISpdyStreamHandler handler, CancellationToken ct)
    {
        Require(id != 0 && id % 2 == 1 && id > lastStreamId, $"SYN_STREAM id {id} not odd and rising");
        lastStreamId = id;
        var stream = new SpdyStream(this, id, headers);
        int open;
        lock (streams)
        {
            open = streams.Count;
        }

        if (open >= MaxStreams)
        {
            await TrySendAsync(RstStream(id, SpdyResetStatus.RefusedStream), ct).ConfigureAwait(false);
            return;
        }

        if (handler.Check(stream) is not null)
        {
            // What spdystream's Reset sends when the kubelet's stream handler refuses a stream.
            await TrySendAsync(RstStream(id, SpdyResetStatus.Cancel), ct).ConfigureAwait(false);
            return;
        }

        lock (streams)
        {
            streams[id] = stream;
        }

        if ((flags & ControlFlagFin) != 0)
        {
            stream.EndInput();
        }

        await sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Encoded under the lock: the header blocks are one zlib stream, written in the order encoded.
            var block = encoder.Encode([]);
            var reply = new byte[4 + block.Length];
            BinaryPrimitives.WriteUInt32BigEndian(reply, id);
            block.CopyTo(reply.AsSpan(4));
            await WriteAsync(Control(2, 0, reply), ct).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }

        handler.Opened(stream);
    }

    private async Task DataFrameAsync(Stream reader, uint id, byte flags, int length, CancellationToken ct)
    {
        Require(id != 0, "DATA frame on stream 0");
        var stream = Find(id);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(length, 1), 64 * 1024));
        try
        {
            for (var left = length; left > 0;)
            {
                var chunk = buffer.AsMemory(0, Math.Min(left, buffer.Length));
                await reader.ReadExactlyAsync(chunk, ct).ConfigureAwait(false);
                left -= chunk.Length;
                if (stream is { RemoteClosed: false })
                {
                    await stream.ReceiveAsync(chunk, ct).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (stream is null || (stream.RemoteClosed && length > 0))
        {
            var status = stream is null ? SpdyResetStatus.InvalidStream : SpdyResetStatus.StreamAlreadyClosed;
            if (id > lastStreamId || stream is not null)
            {
                // A stream it never opened, or data after its FIN; data for one already gone is dropped quietly.
                await TrySendAsync(RstStream(id, status), ct).ConfigureAwait(false);
            }

            if (stream is not null)
            {
                stream.Abort();
                Forget(stream, force: true);
            }

            return;
        }

        if ((flags & ControlFlagFin) != 0)
        {
            stream.EndInput();
            Forget(stream);
        }
    }

    private SpdyStream? Find(uint id)
    {
        lock (streams)
        {
            return streams.GetValueOrDefault(id);
        }
    }

    private async Task SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await sendLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await WriteAsync(frame, ct).ConfigureAwait(false);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>One frame, one write (over the WebSocket tunnel: one binary message).</summary>
    private async Task WriteAsync(ReadOnlyMemory<byte> frame, CancellationToken ct)
    {
        await transport.WriteAsync(frame, ct).ConfigureAwait(false);
        await transport.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task TrySendAsync(byte[] frame, CancellationToken ct)
    {
        try
        {
            await SendAsync(frame, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client is gone already.
        }
    }

    private static uint StreamId(byte[] payload) => BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF;

    private static void Require(bool condition, string problem)
    {
        if (!condition)
        {
            throw new SpdyProtocolException(problem);
        }
    }

    private static byte[] Control(int type, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0x8003_0000u | (uint)type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    private static byte[] RstStream(uint id, SpdyResetStatus status)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], (uint)status);
        return Control(3, 0, payload);
    }

    private static byte[] GoAway(uint lastGood, uint status)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, lastGood);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], status);
        return Control(7, 0, payload);
    }
}

/// <summary>What a SPDY session serves: which streams it takes, and what it does with each one taken.</summary>
internal interface ISpdyStreamHandler
{
    /// <summary>Why a new stream is refused (it gets RST_STREAM CANCEL), or <c>null</c> to take it; called on the frame loop.</summary>
    string? Check(SpdyStream stream);

    /// <summary>A taken stream, after its SYN_REPLY; must not block (the frame loop calls it).</summary>
    void Opened(SpdyStream stream);
}

/// <summary>RST_STREAM status codes (SPDY/3 2.6.3) the server sends.</summary>
internal enum SpdyResetStatus : uint
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    Cancel = 5,
    StreamAlreadyClosed = 9,
}
