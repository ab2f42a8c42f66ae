using Paude.Sessions;

namespace Paude.Sync.Transport;

/// <summary>
/// A pass-through over a stream from or to a session process that fails with <see cref="SyncTransportException"/>
/// when one read or write makes no progress for <c>idle</c>. A session that sends part of an archive, a pack or a
/// git answer and then stops (or stops reading what the host sends) would otherwise hang the sync and hold the
/// workspace's lock for ever; callers roll back as for any other transport failure.
/// </summary>
/// <remarks>
/// The wait is bounded with <see cref="Task.WaitAsync(TimeSpan, TimeProvider, CancellationToken)"/> rather than by
/// cancelling the inner call, because process pipes do not all honour cancellation; the abandoned call ends when the
/// caller disposes the session process, which it does on the way out.
/// </remarks>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle, TimeProvider time, SessionName session, string what) : Stream
{
    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(buffer, cancellationToken).AsTask().WaitAsync(idle, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Stalled("sent nothing");
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await inner.WriteAsync(buffer, cancellationToken).AsTask().WaitAsync(idle, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Stalled("read nothing");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await inner.FlushAsync(cancellationToken).WaitAsync(idle, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw Stalled("read nothing");
        }
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    private SyncTransportException Stalled(string verb) =>
        new($"Session '{session.Value}' {verb} for {idle.TotalSeconds:0.#} s during {what} (SyncOptions.StreamIdleTimeout); the transfer was stopped and nothing was applied.");
}
