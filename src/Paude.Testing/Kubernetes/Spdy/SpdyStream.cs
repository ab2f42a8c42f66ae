using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// One stream a client opened on a <see cref="SpdyConnection"/>: its headers, what the client sends (<see cref="Input"/>,
/// ended by the client's FIN), and the server's half (<see cref="WriteAsync"/>, <see cref="CloseAsync"/>: FIN).
/// <see cref="Aborted"/> fires when the client resets the stream or the connection ends.
/// </summary>
/// <remarks>
/// The client's bytes wait in an unbounded pipe: the frame loop must never wait for one stream's reader, or every
/// other stream of the connection waits with it. What bounds the pipe is the connection's flow control: it counts
/// what each stream holds unread (<see cref="TryBuffer"/>) and, past its limits, waits for the reader or resets a
/// stream whose reader takes nothing (see <see cref="SpdyConnection"/>).
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing to release, and forwards may still read Aborted after the connection ends.")]
internal sealed class SpdyStream
{
    private readonly Pipe inbound = new(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
    private readonly CancellationTokenSource aborted = new();
    private readonly SpdyConnection connection;
    private readonly Lock gate = new();
    private long buffered;
    private long credit;
    private bool released;
    private int localClosed;
    private volatile bool remoteClosed;

    public SpdyStream(SpdyConnection connection, uint id, IReadOnlyDictionary<string, string[]> headers)
    {
        this.connection = connection;
        Id = id;
        Headers = headers;
        Input = new SpdyStreamInput(inbound.Reader, Consumed);
    }

    public uint Id { get; }

    public IReadOnlyDictionary<string, string[]> Headers { get; }

    public PipeReader Input { get; }

    public CancellationToken Aborted => aborted.Token;

    internal bool RemoteClosed => remoteClosed;

    internal bool LocalClosed => Volatile.Read(ref localClosed) != 0;

    /// <summary>The first value of a header, as Go's <c>Header.Get</c> reads it; "" when absent.</summary>
    public string Header(string name) => Headers.TryGetValue(name, out var values) && values.Length > 0 ? values[0] : "";

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct) =>
        LocalClosed ? throw new IOException($"stream {Id} is closed") : connection.SendDataAsync(Id, data, fin: false, ct);

    /// <summary>Ends the server's half (an empty DATA frame with FIN), once; the client may still send.</summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref localClosed, 1) == 0 && !aborted.IsCancellationRequested)
        {
            await connection.SendDataAsync(Id, ReadOnlyMemory<byte>.Empty, fin: true, ct).ConfigureAwait(false);
            connection.Forget(this);
        }
    }

    /// <summary>Counts <paramref name="length"/> more unread bytes unless the stream would then hold more than <paramref name="limit"/> (frame loop only).</summary>
    internal bool TryBuffer(int length, long limit)
    {
        lock (gate)
        {
            if (released || buffered + length > limit)
            {
                return false;
            }

            buffered += length;
            return true;
        }
    }

    /// <summary>Hands the client's bytes to <see cref="Input"/>; never waits, <see cref="TryBuffer"/> counted them first (frame loop only).</summary>
    internal ValueTask<FlushResult> ReceiveAsync(ReadOnlyMemory<byte> data, CancellationToken ct) => inbound.Writer.WriteAsync(data, ct);

    /// <summary>The client sends no more (FIN, reset, or the connection ended): <see cref="Input"/> ends (frame loop only).</summary>
    internal void EndInput()
    {
        if (!remoteClosed)
        {
            remoteClosed = true;
            inbound.Writer.Complete();
        }
    }

    /// <summary>Reset by either side or the connection gone: nothing more flows either way; readers see <see cref="Aborted"/>.</summary>
    internal void Abort()
    {
        Interlocked.Exchange(ref localClosed, 1);
        aborted.Cancel();
    }

    /// <summary>The stream left the connection's table: what it still holds unread no longer counts; returns that many bytes.</summary>
    internal long Release()
    {
        lock (gate)
        {
            var rest = released ? 0 : buffered;
            released = true;
            buffered = 0;
            credit = 0;
            return rest;
        }
    }

    /// <summary>The reader consumed <paramref name="bytes"/>: they stop counting, and the client gets its window back in half-window steps.</summary>
    private void Consumed(long bytes)
    {
        long update = 0;
        lock (gate)
        {
            if (released)
            {
                return;
            }

            buffered -= bytes;
            credit += bytes;
            if (credit >= SpdyConnection.InitialWindow / 2 && !remoteClosed)
            {
                update = credit;
                credit = 0;
            }
        }

        connection.Consumed(this, bytes, update);
    }
}
