using System.Net.WebSockets;
using Paude.Backends.OpenShift.Exec;
using Paude.Errors;

namespace Paude.Fuzz.Targets;

/// <summary>
/// The exec stream demultiplexer (<see cref="ExecSession"/>) reading v4/v5 channel frames from a real client
/// WebSocket over a byte stream. Input: a flag byte (bit 0: v5; bit 1: end with a close frame, else the connection
/// just ends), then messages of a 2-byte length and that many bytes (channel byte + payload), each sent as one
/// binary WebSocket message (bit 15 of the length splits it into two fragments). Promises: stdout and stderr carry
/// exactly the payloads of channels 1 and 2 up to their channel-255 close, the exit code comes from the status
/// channel, and failures are <see cref="BackendOperationException"/> only.
/// </summary>
public sealed class ExecFramesTarget : IFuzzTarget
{
    public string Name => "execframes";

    public void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        var flags = input[0];
        var wire = new MemoryStream();
        var expectedOut = new MemoryStream();
        var expectedErr = new MemoryStream();
        bool outOpen = true, errOpen = true;
        var position = 1;
        while (position + 2 <= input.Length)
        {
            var header = (input[position] << 8) | input[position + 1];
            position += 2;
            var length = Math.Min(header & 0x7fff, input.Length - position);
            var message = input.AsSpan(position, length);
            position += length;
            WriteFrames(wire, message, split: (header & 0x8000) != 0);
            if (message.Length > 1)
            {
                switch (message[0])
                {
                    case 1 when outOpen: expectedOut.Write(message[1..]); break;
                    case 2 when errOpen: expectedErr.Write(message[1..]); break;
                    case 255: outOpen &= message[1] != 1; errOpen &= message[1] != 2; break;
                }
            }
        }

        if ((flags & 2) != 0)
        {
            WriteFrame(wire, 0x8, [0x03, 0xe8], fin: true); // close, normal closure
        }

        wire.Position = 0;
        var protocol = (flags & 1) != 0 ? k8s.WebSocketProtocol.V5BinaryWebsocketProtocol : k8s.WebSocketProtocol.V4BinaryWebsocketProtocol;
        using var socket = WebSocket.CreateFromStream(new ReplayStream(wire), new WebSocketCreationOptions { IsServer = false, SubProtocol = protocol, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        var session = new ExecSession(socket, framedStdin: false, redirectStdin: false, "fuzz");
        try
        {
            var stdout = Task.Run(() => ReadAll(session.StandardOutput));
            var stderr = Task.Run(() => ReadAll(session.StandardError));
            try
            {
                _ = session.WaitForExitAsync().GetAwaiter().GetResult();
            }
            finally
            {
                // The output is complete whether the exit status parsed or not.
                Compare(stdout, expectedOut, "stdout");
                Compare(stderr, expectedErr, "stderr");
            }
        }
        catch (BackendOperationException)
        {
        }
        finally
        {
            session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Compare(Task<(byte[] Data, Exception? Fault)> read, MemoryStream expected, string name)
    {
        var (data, fault) = read.GetAwaiter().GetResult();
        InvariantViolationException.Check(fault is null or BackendOperationException, $"execframes: reading {name} failed with {fault}");
        InvariantViolationException.Check(data.AsSpan().SequenceEqual(expected.ToArray().AsSpan(0, Math.Min(data.Length, (int)expected.Length))) && (fault is not null || data.Length == expected.Length),
            $"execframes: {name} got {data.Length} bytes, expected {expected.Length}");
    }

    private static async Task<(byte[] Data, Exception? Fault)> ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        try
        {
            await stream.CopyToAsync(copy);
            return (copy.ToArray(), null);
        }
        catch (Exception e)
        {
            return (copy.ToArray(), e);
        }
    }

    private static void WriteFrames(MemoryStream wire, ReadOnlySpan<byte> message, bool split)
    {
        if (!split || message.Length < 2)
        {
            WriteFrame(wire, 0x2, message, fin: true);
            return;
        }

        var half = message.Length / 2;
        WriteFrame(wire, 0x2, message[..half], fin: false);
        WriteFrame(wire, 0x0, message[half..], fin: true);
    }

    /// <summary>An unmasked server-to-client frame (RFC 6455 §5.2).</summary>
    private static void WriteFrame(MemoryStream wire, byte opcode, ReadOnlySpan<byte> payload, bool fin)
    {
        wire.WriteByte((byte)((fin ? 0x80 : 0) | opcode));
        if (payload.Length < 126)
        {
            wire.WriteByte((byte)payload.Length);
        }
        else
        {
            wire.WriteByte(126);
            wire.WriteByte((byte)(payload.Length >> 8));
            wire.WriteByte((byte)payload.Length);
        }

        wire.Write(payload);
    }

    /// <summary>The server's side of the connection: reads the recorded frames, swallows what the client sends.</summary>
    private sealed class ReplayStream(MemoryStream frames) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => frames.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => frames.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count)
        {
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
