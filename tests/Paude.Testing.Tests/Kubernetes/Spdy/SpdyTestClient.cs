using System.Buffers.Binary;
using System.Net.Sockets;
using Paude.Testing.Kubernetes.Spdy;

namespace Paude.Tests.Kubernetes.Spdy;

/// <summary>A bare SPDY/3 client for tests: writes frames byte by byte as a (possibly hostile) client would, reads the server's.</summary>
internal sealed class SpdyTestClient(TcpClient tcp) : IDisposable
{
    private readonly NetworkStream stream = tcp.GetStream();
    private readonly SpdyHeaderEncoder encoder = new();

    public sealed record Frame(bool Control, int Type, uint StreamId, byte Flags, byte[] Payload);

    public Task WriteAsync(byte[] bytes) => stream.WriteAsync(bytes).AsTask();

    public Task SynStreamAsync(uint id, KeyValuePair<string, string>[] headers, byte flags = 0)
    {
        var block = encoder.Encode(headers);
        var payload = new byte[10 + block.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, id);
        block.CopyTo(payload.AsSpan(10));
        return ControlAsync(1, flags, payload);
    }

    public Task ControlAsync(int type, byte flags, byte[] payload)
    {
        var frame = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0x8003_0000u | (uint)type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return WriteAsync(frame);
    }

    public Task DataAsync(uint id, byte[] data, bool fin)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, id);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((fin ? 1u : 0u) << 24) | (uint)data.Length);
        data.CopyTo(frame.AsSpan(8));
        return WriteAsync(frame);
    }

    public async Task<Frame> ReadFrameAsync() => await TryReadFrameAsync() ?? throw new EndOfStreamException("the server closed the connection");

    /// <summary>The next frame, or <c>null</c> once the server closed the connection.</summary>
    public async Task<Frame?> TryReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new byte[8];
        if (await stream.ReadAtLeastAsync(header, 8, throwOnEndOfStream: false, timeout.Token) < 8)
        {
            return null;
        }

        var first = BinaryPrimitives.ReadUInt32BigEndian(header);
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4)) & 0xFFFFFF];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        var control = (first & 0x8000_0000) != 0;
        return control
            ? new Frame(true, (int)(first & 0xFFFF), payload.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF : 0, header[4], payload)
            : new Frame(false, 0, first, header[4], payload);
    }

    public void Dispose()
    {
        stream.Dispose();
        tcp.Dispose();
    }
}
