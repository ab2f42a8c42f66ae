using System.Threading.Channels;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// A read-only stream over a bounded channel of chunks, filled by the exec demuxer. Bounded, so a reader that
/// falls behind slows the WebSocket down instead of buffering the output whole.
/// </summary>
internal sealed class ChannelReaderStream(ChannelReader<ReadOnlyMemory<byte>> reader) : Stream
{
    private ReadOnlyMemory<byte> _current;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_current.IsEmpty)
        {
            if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // Completed: end of stream, or the fault the demuxer completed the channel with.
                await reader.Completion.ConfigureAwait(false);
                return 0;
            }

            reader.TryRead(out _current);
        }

        var n = Math.Min(buffer.Length, _current.Length);
        _current[..n].CopyTo(buffer);
        _current = _current[n..];
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
