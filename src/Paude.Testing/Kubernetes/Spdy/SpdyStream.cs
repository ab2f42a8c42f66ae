using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// One stream a client opened on a <see cref="SpdyConnection"/>: its headers, what the client sends (<see cref="Input"/>,
/// ended by the client's FIN), and the server's half (<see cref="WriteAsync"/>, <see cref="CloseAsync"/>: FIN).
/// <see cref="Aborted"/> fires when the client resets the stream or the connection ends.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without a timer holds nothing to release, and forwards may still read Aborted after the connection ends.")]
internal sealed class SpdyStream
{
    // Bounded like spdystream's blocking hand-off: a stream nobody reads holds the connection's frame loop, not memory.
    private readonly Pipe inbound = new(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 256 * 1024, useSynchronizationContext: false));
    private readonly CancellationTokenSource aborted = new();
    private readonly SpdyConnection connection;
    private int localClosed;

    public SpdyStream(SpdyConnection connection, uint id, IReadOnlyDictionary<string, string[]> headers)
    {
        this.connection = connection;
        Id = id;
        Headers = headers;
    }

    public uint Id { get; }

    public IReadOnlyDictionary<string, string[]> Headers { get; }

    public PipeReader Input => inbound.Reader;

    public CancellationToken Aborted => aborted.Token;

    private volatile bool remoteClosed;

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

    /// <summary>Hands the client's bytes to <see cref="Input"/>; waits while the reader is behind (frame loop only).</summary>
    internal async ValueTask ReceiveAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, aborted.Token);
        try
        {
            await inbound.Writer.WriteAsync(data, both.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            // Nobody reads a reset stream any more: its bytes are dropped.
        }
    }

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
}
