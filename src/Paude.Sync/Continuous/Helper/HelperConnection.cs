using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Paude.Errors;

namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// One conversation with a session helper over its stdin/stdout (PROTOCOL.md): requests are numbered, replies are
/// routed to their request by a single reader, watch events to the watch stream. Every byte from the helper is
/// untrusted: frames are bounded, an unknown reply id, a frame outside the protocol or no reply within
/// <see cref="HelperConnectionOptions.ReplyTimeout"/> ends the connection (<see cref="HelperChannelException"/>)
/// and kills the helper process, so a hostile or hung helper can neither grow the host's memory nor hang it.
/// </summary>
internal sealed class HelperConnection : IAsyncDisposable
{
    private readonly Stream _stdin;
    private readonly HelperFrameReader _reader;
    private readonly IAsyncDisposable? _owner;
    private readonly HelperConnectionOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<uint, Pending> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _readLoop = Task.CompletedTask;
    private Channel<HelperFrame>? _watch;
    private uint _watchId;
    private int _watchOverflowed;
    private int _nextId;
    private Exception? _fault;

    private HelperConnection(Stream stdin, Stream stdout, IAsyncDisposable? owner, HelperConnectionOptions options)
    {
        (_stdin, _owner, _options) = (stdin, owner, options);
        _reader = new HelperFrameReader(stdout);
    }

    /// <summary>The helper's build string from its hello reply.</summary>
    public string HelperBuild { get; private set; } = "";

    /// <summary>Whether the connection still works (no fault, not disposed).</summary>
    public bool IsOpen => _fault is null;

    /// <summary>
    /// Says hello (negotiating the version) on a started helper's streams; <paramref name="owner"/> (the helper's
    /// process) is disposed with the connection or when it faults.
    /// </summary>
    public static async Task<HelperConnection> OpenAsync(Stream stdin, Stream stdout, string root, IAsyncDisposable? owner, HelperConnectionOptions options, CancellationToken cancellationToken)
    {
        var connection = new HelperConnection(stdin, stdout, owner, options);
        connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        try
        {
            var payload = new HelperPayloadWriter().U16(HelperWire.Version).U16(HelperWire.Version).String(root);
            var reply = await connection.RequestAsync(HelperWire.Hello, payload, cancellationToken).ConfigureAwait(false);
            if (reply.Type != HelperWire.HelloOk) throw connection.Fail(Unexpected(reply.Type, "hello"));
            var r = new HelperPayloadReader(reply.Payload);
            ushort version = r.U16();
            string build = r.String();
            r.U32();
            r.End();
            if (version != HelperWire.Version) throw connection.Fail(new UnsafeContentException("session helper", $"chose protocol version {version}"));
            connection.HelperBuild = build;
            return connection;
        }
        catch (UnsafeContentException e)
        {
            var error = connection.Fail(e);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw error;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends one request and returns the channel its replies arrive on.</summary>
    internal async Task<(uint Id, ChannelReader<HelperFrame> Replies)> SendAsync(byte type, HelperPayloadWriter payload, CancellationToken cancellationToken, bool isWatch = false)
    {
        ThrowIfFaulted();
        uint id = unchecked((uint)Interlocked.Increment(ref _nextId));
        var channel = Channel.CreateBounded<HelperFrame>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        _pending[id] = new Pending(channel, isWatch);
        if (isWatch)
        {
            _watch = Channel.CreateBounded<HelperFrame>(new BoundedChannelOptions(_options.MaxQueuedEvents) { SingleReader = true, SingleWriter = true });
            _watchId = id;
        }
        await WriteFrameAsync(type, id, payload.Written, cancellationToken).ConfigureAwait(false);
        return (id, channel.Reader);
    }

    /// <summary>Sends a frame that continues an open request (WriteChunk, WriteEnd).</summary>
    internal Task ContinueAsync(byte type, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        WriteFrameAsync(type, id, payload, cancellationToken);

    /// <summary>A request answered by exactly one frame (or an error).</summary>
    internal async Task<HelperFrame> RequestAsync(byte type, HelperPayloadWriter payload, CancellationToken cancellationToken)
    {
        var (id, replies) = await SendAsync(type, payload, cancellationToken).ConfigureAwait(false);
        try { return await NextAsync(replies, cancellationToken).ConfigureAwait(false); }
        finally { Finish(id); }
    }

    /// <summary>The next reply of a request within the reply timeout; an Error frame becomes a <see cref="HelperOperationException"/>.</summary>
    internal async Task<HelperFrame> NextAsync(ChannelReader<HelperFrame> replies, CancellationToken cancellationToken)
    {
        HelperFrame frame;
        try
        {
            frame = await replies.ReadAsync(cancellationToken).AsTask().WaitAsync(_options.ReplyTimeout, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Fail(new HelperChannelException($"the session helper sent no reply within {_options.ReplyTimeout.TotalSeconds:0.#} s"));
        }
        catch (ChannelClosedException)
        {
            throw Fault();
        }
        if (frame.Type == HelperWire.Error)
        {
            HelperErrorCode code;
            string message;
            try
            {
                var r = new HelperPayloadReader(frame.Payload);
                code = (HelperErrorCode)r.U16();
                message = r.String();
                r.End();
            }
            catch (UnsafeContentException e) { throw Fail(e); }
            throw new HelperOperationException(code, message);
        }
        return frame;
    }

    /// <summary>The watch stream's next frame (Event or Overflow); an overflow of the host's own queue is an Overflow too.</summary>
    internal async ValueTask<HelperFrame> NextEventAsync(CancellationToken cancellationToken)
    {
        var watch = _watch ?? throw new InvalidOperationException("not watching");
        if (watch.Reader.TryRead(out var queued)) return queued;
        // Events were lost and the queue is now drained: say so before waiting for more.
        if (Interlocked.Exchange(ref _watchOverflowed, 0) == 1) return new HelperFrame(HelperWire.Overflow, _watchId, []);
        try { return await watch.Reader.ReadAsync(cancellationToken).ConfigureAwait(false); }
        catch (ChannelClosedException) { throw Fault(); }
    }

    /// <summary>The request is over (its last frame came, or the caller gave up): later frames for it are dropped.</summary>
    internal void Finish(uint id)
    {
        if (_pending.TryGetValue(id, out var p)) p.Abandoned = true;
    }

    internal Exception Fail(Exception error)
    {
        if (error is not HelperChannelException)
            error = new HelperChannelException("the session helper broke the protocol: " + error.Message, error);
        Interlocked.CompareExchange(ref _fault, error, null);
        _stop.Cancel();
        foreach (var p in _pending.Values) p.Channel.Writer.TryComplete(Fault());
        _watch?.Writer.TryComplete(Fault());
        _ = Task.Run(async () => { if (_owner is not null) await _owner.DisposeAsync().ConfigureAwait(false); });
        return Fault();
    }

    internal static UnsafeContentException Unexpected(byte type, string request) =>
        new("session helper", $"answered {request} with frame type 0x{type:x2}");

    private Exception Fault() => _fault as HelperChannelException ?? new HelperChannelException("the connection to the session helper is closed", _fault);

    private void ThrowIfFaulted()
    {
        if (_fault is not null) throw Fault();
    }

    private async Task WriteFrameAsync(byte type, uint id, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (payload.Length + 5 > HelperWire.MaxFrame) throw new ArgumentException("frame too large", nameof(payload));
        var header = new byte[9];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)(payload.Length + 5));
        header[4] = type;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(5), id);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFaulted();
            await _stdin.WriteAsync(header, cancellationToken).ConfigureAwait(false);
            await _stdin.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            await _stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw Fail(new HelperChannelException("the session helper's input is closed", e));
        }
        finally { _writeLock.Release(); }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var frame = await _reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                if (frame is null) { Fail(new HelperChannelException("the session helper ended")); return; }
                await RouteAsync(frame.Value).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (UnsafeContentException e) { Fail(e); }
        catch (IOException e) { Fail(new HelperChannelException("the session helper's output failed", e)); }
    }

    private async Task RouteAsync(HelperFrame frame)
    {
        if (frame.Id == 0 && frame.Type == HelperWire.Error)
        {
            // Id 0: the helper could not read our frame at all (it ends after this).
            throw new UnsafeContentException("session helper", "reported a broken frame from the host");
        }
        if (_watch is not null && frame.Id == _watchId && frame.Type is HelperWire.Event or HelperWire.Overflow)
        {
            QueueEvent(frame);
            return;
        }
        if (!_pending.TryGetValue(frame.Id, out var pending))
            throw new UnsafeContentException("session helper", $"sent frame type 0x{frame.Type:x2} for request {frame.Id}, which was never made");
        if (pending.Abandoned)
        {
            if (IsLast(frame, pending)) _pending.TryRemove(frame.Id, out _);
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(_options.ReplyTimeout, _options.TimeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stop.Token);
            await pending.Channel.Writer.WriteAsync(frame, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            // The caller stopped reading this request's replies: drop them rather than block every other request.
            pending.Abandoned = true;
        }
        catch (ChannelClosedException) { pending.Abandoned = true; }
        if (IsLast(frame, pending)) { pending.Channel.Writer.TryComplete(); _pending.TryRemove(frame.Id, out _); }
    }

    private static bool IsLast(HelperFrame frame, Pending pending) =>
        frame.Type is HelperWire.Error or HelperWire.HelloOk or HelperWire.ListEnd or HelperWire.ReadEnd or HelperWire.Ok or HelperWire.GitEnd
        || (frame.Type == HelperWire.WatchStarted && pending.IsWatch);

    private void QueueEvent(HelperFrame frame)
    {
        var writer = _watch!.Writer;
        if (Volatile.Read(ref _watchOverflowed) == 1)
        {
            if (!writer.TryWrite(new HelperFrame(HelperWire.Overflow, frame.Id, []))) return;
            Interlocked.Exchange(ref _watchOverflowed, 0);
        }
        // A full queue (the host is slower than the events) loses events: the consumer is told to list again.
        if (!writer.TryWrite(frame)) Interlocked.Exchange(ref _watchOverflowed, 1);
    }

    public async ValueTask DisposeAsync()
    {
        Interlocked.CompareExchange(ref _fault, new HelperChannelException("the connection to the session helper was closed"), null);
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var p in _pending.Values) p.Channel.Writer.TryComplete();
        _watch?.Writer.TryComplete();
        try { await _stdin.DisposeAsync().ConfigureAwait(false); } catch (IOException) { }
        if (_owner is not null) await _owner.DisposeAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _writeLock.Dispose();
    }

    private sealed class Pending(Channel<HelperFrame> channel, bool isWatch)
    {
        public Channel<HelperFrame> Channel { get; } = channel;
        public bool IsWatch { get; } = isWatch;
        public volatile bool Abandoned;
    }
}
