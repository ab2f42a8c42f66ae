extern alias testing;

using System.Buffers.Binary;
using testing::Paude.Testing.Kubernetes.Spdy;

namespace Paude.Fuzz.Targets;

/// <summary>
/// The Kubernetes test server's SPDY/3.1 session (<see cref="SpdyConnection"/>: frame reader, the header decoder's zlib
/// stream preset with the SPDY dictionary, flow control) serving <c>portforward.k8s.io</c> (<see cref="PortForwardStreams"/>).
/// Input: every byte a client sends, then the end of the connection. Forwards echo their data stream, except port 1,
/// whose reader never reads (a stalled stream). Promises: the session ends without an exception (a broken frame is
/// answered by GOAWAY, not thrown), within the harness's time and allocation limits; the server writes only whole
/// SPDY/3 frames, never opens a stream itself, sends DATA only on odd (client) streams, answers only odd PINGs, and
/// sends at most one GOAWAY.
/// </summary>
public sealed class SpdyTarget : IFuzzTarget
{
    /// <summary>Small limits, so inputs afl can write reach the paths past them (wait for a reader, reset a stalled one).</summary>
    private static readonly SpdyConnectionOptions Limits = new()
    {
        StreamBufferLimit = 64 * 1024,
        SessionBufferLimit = 160 * 1024,
        StallTimeout = TimeSpan.FromMilliseconds(50),
    };

    public string Name => "spdy";

    public void Run(byte[] input) => RunAsync(input).GetAwaiter().GetResult();

    private static async Task RunAsync(byte[] input)
    {
        var transport = new ClientBytes(input);
        using var stop = new CancellationTokenSource();
        using var connection = new SpdyConnection(transport, Limits);
        var streams = new PortForwardStreams(connection, ForwardAsync, TimeSpan.FromMilliseconds(200), stop.Token);
        try
        {
            await connection.RunAsync(streams, CancellationToken.None);
        }
        finally
        {
            await stop.CancelAsync();
            await streams.WhenIdleAsync();
        }

        Check(transport.Written());
    }

    /// <summary>Echoes what the client sends until its FIN; port 1 never reads; port 2 also reports a failure.</summary>
    private static async Task<string?> ForwardAsync(int port, SpdyStream data, CancellationToken ct)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, data.Aborted);
        if (port == 1)
        {
            await Task.Delay(Timeout.Infinite, both.Token);
        }

        while (true)
        {
            var read = await data.Input.ReadAsync(both.Token);
            foreach (var segment in read.Buffer)
            {
                await data.WriteAsync(segment, both.Token);
            }

            data.Input.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return port == 2 ? "failed to connect" : null;
            }
        }
    }

    private static void Check(byte[] output)
    {
        var goAways = 0;
        for (var at = 0; at < output.Length;)
        {
            InvariantViolationException.Check(output.Length - at >= 8, $"spdy: {output.Length - at} bytes of a frame header at the end");
            var first = BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(at));
            var length = (int)(BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(at + 4)) & 0xFFFFFF);
            InvariantViolationException.Check(output.Length - at - 8 >= length, $"spdy: a frame of {length} bytes cut short");
            var payload = output.AsSpan(at + 8, length);
            if ((first & 0x8000_0000) == 0)
            {
                InvariantViolationException.Check(first % 2 == 1, $"spdy: DATA on stream {first}, which no client opened");
            }
            else
            {
                var type = (int)(first & 0xFFFF);
                InvariantViolationException.Check(first >> 16 == 0x8003, $"spdy: control frame header {first:x8}");
                InvariantViolationException.Check(type is 2 or 3 or 6 or 7 or 9, $"spdy: server sent control frame type {type}");
                InvariantViolationException.Check(type != 6 || (length == 4 && payload[3] % 2 == 1), "spdy: PING answered that the client's id space does not hold");
                goAways += type == 7 ? 1 : 0;
            }

            at += 8 + length;
        }

        InvariantViolationException.Check(goAways <= 1, $"spdy: {goAways} GOAWAY frames");
    }

    /// <summary>The server's end of the connection: reads the client's bytes, then end of stream; keeps what the server writes.</summary>
    private sealed class ClientBytes(byte[] input) : Stream
    {
        private readonly MemoryStream reads = new(input, writable: false);
        private readonly MemoryStream writes = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public byte[] Written()
        {
            lock (writes)
            {
                return writes.ToArray();
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => reads.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => reads.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (writes)
            {
                writes.Write(buffer, offset, count);
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (writes)
            {
                writes.Write(buffer);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
