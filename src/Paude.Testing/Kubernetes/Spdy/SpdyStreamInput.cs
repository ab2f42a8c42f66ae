using System.Buffers;
using System.IO.Pipelines;

namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>
/// A stream's <see cref="SpdyStream.Input"/>: the pipe's reader, telling the stream how many bytes each
/// <see cref="AdvanceTo(SequencePosition)"/> consumed, so the connection can give the client that much window back.
/// </summary>
internal sealed class SpdyStreamInput(PipeReader inner, Action<long> onConsumed) : PipeReader
{
    private ReadOnlySequence<byte> last;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        last = result.Buffer;
        return result;
    }

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        last = result.Buffer;
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        // Measured before the pipe frees the segments the positions point into.
        var bytes = last.IsEmpty ? 0 : last.Slice(last.Start, consumed).Length;
        last = default;
        inner.AdvanceTo(consumed, examined);
        if (bytes > 0)
        {
            onConsumed(bytes);
        }
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);
}
