using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// The server end of a SPDY/3.1 session as the kubelet's spdystream serves it (client streams only): reads frames until
/// the client leaves, answers SYN_STREAM with SYN_REPLY (or RST_STREAM when <see cref="ISpdyStreamHandler.Check"/>
/// refuses it), echoes the client's PINGs, and hands each stream's DATA to it. Every byte comes from a client the
/// server does not trust: a malformed frame gets RST_STREAM when it concerns one stream and GOAWAY (PROTOCOL_ERROR)
/// plus the end of the session when the framing or header state is broken; the server never throws for it.
/// </summary>
/// <remarks>
/// <para>
/// Flow control (SPDY/3.1 2.6.8), receive side: the frame loop never waits for a stream's reader, so one stream nobody
/// reads cannot stop the others. Each stream and the session start with a window of <see cref="InitialWindow"/>;
/// the server sends WINDOW_UPDATE (stream and stream 0) as readers consume, so a client that honours windows never
/// has more than that outstanding per stream. spdystream, and so kubectl, honours no window and sends no
/// WINDOW_UPDATE: for such a client <see cref="SpdyConnectionOptions.StreamBufferLimit"/> and
/// <see cref="SpdyConnectionOptions.SessionBufferLimit"/> bound what the server holds: past them the frame loop waits
/// for the reader (a slow one: the connection slows to its pace and nothing is lost, as with the kubelet, whose
/// blocked stream fills its spdystream frame queue and then stops the connection's reader), and a reader that takes
/// nothing for <see cref="SpdyConnectionOptions.StallTimeout"/> gets its stream reset (FLOW_CONTROL_ERROR) so the
/// other streams go on.
/// </para>
/// <para>
/// Send side: the client's WINDOW_UPDATEs are checked and ignored; the server does not hold its DATA back for the
/// client's window, because kubectl never opens it (an honest SPDY/3.1 window would stop every download at 64 KiB).
/// </para>
/// </remarks>
internal sealed class SpdyConnection(Stream transport, SpdyConnectionOptions? options = null) : IDisposable
{
    /// <summary>Streams one client may hold open at once (kubectl opens two per forwarded connection).</summary>
    public const int MaxStreams = 1000;

    /// <summary>SPDY/3.1's initial window of every stream and of the session (the server announces no other).</summary>
    public const int InitialWindow = 64 * 1024;

    private const int ControlFlagFin = 0x01;
    private const int MaxControlPayload = SpdyHeaderDecoder.MaxBlockBytes + 10;

    private static readonly SpdyConnectionOptions Defaults = new();
    private readonly SpdyConnectionOptions options = options ?? Defaults;
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly SpdyHeaderDecoder decoder = new();
    private readonly SpdyHeaderEncoder encoder = new();
    private readonly Dictionary<uint, SpdyStream> streams = [];
    private readonly CancellationTokenSource idle = new(Timeout.InfiniteTimeSpan, (options ?? Defaults).TimeProvider);
    private uint lastStreamId;
    private long buffered;
    private long sessionCredit;
    private TaskCompletionSource consumed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Serves the session until the client closes it, breaks it, leaves it idle, or <paramref name="ct"/> fires; then every stream is aborted.</summary>
    public async Task RunAsync(ISpdyStreamHandler handler, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var expiry = idle.Token.UnsafeRegister(_ => _ = ExpireAsync(stop), null);
        Activity();
        var reader = new BufferedStream(transport, 64 * 1024);
        var header = new byte[8];
        try
        {
            while (await ReadHeaderAsync(reader, header, stop.Token).ConfigureAwait(false))
            {
                Activity();
                var first = BinaryPrimitives.ReadUInt32BigEndian(header);
                var flags = header[4];
                var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xFFFFFF);
                if ((first & 0x8000_0000) == 0)
                {
                    await DataFrameAsync(reader, first, flags, length, stop.Token).ConfigureAwait(false);
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
                await reader.ReadExactlyAsync(payload, stop.Token).ConfigureAwait(false);
                await ControlFrameAsync((int)(first & 0xFFFF), flags, payload, handler, stop.Token).ConfigureAwait(false);
            }
        }
        catch (SpdyProtocolException)
        {
            await TrySendAsync(GoAway(lastStreamId, status: 1), stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or WebSocketException or EndOfStreamException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away (or the session was cancelled or idle): what it opened ends with it.
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
                Interlocked.Add(ref buffered, -stream.Release());
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
        idle.Dispose();
    }

    /// <summary>A reader consumed <paramref name="bytes"/> of <paramref name="stream"/>; <paramref name="update"/> &gt; 0: give the stream that much window back.</summary>
    internal void Consumed(SpdyStream stream, long bytes, long update)
    {
        Interlocked.Add(ref buffered, -bytes);
        Progress();
        if (update > 0)
        {
            _ = TrySendAsync(WindowUpdate(stream.Id, update), CancellationToken.None);
        }

        CreditSession(bytes);
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
            if ((force || (stream.LocalClosed && stream.RemoteClosed)) && streams.Remove(stream.Id))
            {
                // Nobody will read what it still holds (or it is read after all, uncounted): the budget is free again.
                var rest = stream.Release();
                Interlocked.Add(ref buffered, -rest);
                CreditSession(rest);
                Progress();
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
            case 9: // WINDOW_UPDATE: checked, not obeyed (the class remarks say why)
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
        var take = stream is { RemoteClosed: false };
        var overflow = false;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(Math.Max(length, 1), 64 * 1024));
        try
        {
            for (var left = length; left > 0;)
            {
                var chunk = buffer.AsMemory(0, Math.Min(left, buffer.Length));
                await reader.ReadExactlyAsync(chunk, ct).ConfigureAwait(false);
                left -= chunk.Length;

                // Counted as it arrives, not by the length the header claims: a claim alone holds nothing up.
                if (take && !await BufferAsync(stream!, chunk.Length, ct).ConfigureAwait(false))
                {
                    overflow = true;
                    take = false;
                }

                if (take)
                {
                    await stream!.ReceiveAsync(chunk, ct).ConfigureAwait(false);
                }
                else
                {
                    // Dropped bytes used the client's session window all the same.
                    CreditSession(chunk.Length);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (overflow)
        {
            await ResetAsync(stream!, SpdyResetStatus.FlowControlError, ct).ConfigureAwait(false);
            return;
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

    /// <summary>
    /// Counts a DATA frame's bytes against the stream's and the session's limits. Past a limit the frame loop waits for
    /// readers to take bytes (a slow reader: the whole connection slows down to it, as with the kubelet, and nothing is
    /// lost); false when no reader took any for <see cref="SpdyConnectionOptions.StallTimeout"/> (a stalled reader).
    /// </summary>
    private async Task<bool> BufferAsync(SpdyStream stream, int length, CancellationToken ct)
    {
        var progress = Volatile.Read(ref consumed).Task;
        while (!TryBuffer(stream, length))
        {
            if (stream.Aborted.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await progress.WaitAsync(options.StallTimeout, options.TimeProvider, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return false;
            }

            progress = Volatile.Read(ref consumed).Task;
        }

        return true;
    }

    /// <summary>Buffered bytes were read or released: a frame loop waiting in <see cref="BufferAsync"/> tries again.</summary>
    private void Progress() => Interlocked.Exchange(ref consumed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private bool TryBuffer(SpdyStream stream, int length)
    {
        if (Interlocked.Add(ref buffered, length) > options.SessionBufferLimit || !stream.TryBuffer(length, options.StreamBufferLimit))
        {
            Interlocked.Add(ref buffered, -length);
            return false;
        }

        return true;
    }

    /// <summary>Bytes the server is done with (read, or dropped): the session window gets them back in half-window steps.</summary>
    private void CreditSession(long bytes)
    {
        if (bytes <= 0)
        {
            return;
        }

        var total = Interlocked.Add(ref sessionCredit, bytes);
        if (total >= InitialWindow / 2 && Interlocked.CompareExchange(ref sessionCredit, 0, total) == total)
        {
            _ = TrySendAsync(WindowUpdate(0, total), CancellationToken.None);
        }
    }

    /// <summary>A frame went either way: the idle timer starts again.</summary>
    private void Activity()
    {
        if (options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            try
            {
                idle.CancelAfter(options.IdleTimeout);
            }
            catch (ObjectDisposedException)
            {
                // A late send after the connection was disposed.
            }
        }
    }

    /// <summary>Idle for <see cref="SpdyConnectionOptions.IdleTimeout"/>: GOAWAY (OK), then the frame loop stops.</summary>
    private async Task ExpireAsync(CancellationTokenSource stop)
    {
        try
        {
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await TrySendAsync(GoAway(lastStreamId, status: 0), grace.Token).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The session ended meanwhile.
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
        Activity();
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

    private static byte[] WindowUpdate(uint id, long delta)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], (uint)delta);
        return Control(9, 0, payload);
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
    FlowControlError = 7,
    StreamAlreadyClosed = 9,
}
