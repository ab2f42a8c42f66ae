namespace Paude.Execution;

/// <summary>
/// The archive of a directory as a read-only stream (see <see cref="DirectoryTar.OpenRead"/>). Readers get it through
/// a bounded in-process pipe fed by a writer thread. <see cref="CopyToAsync(Stream, int, CancellationToken)"/>, the
/// way an upload consumes it, skips the pipe: the writer thread writes the archive straight into the destination in
/// large chunks, as GNU tar writes into a shell pipe (one copy and one thread hand-off fewer per chunk).
/// </summary>
internal sealed class DirectoryTarStream(string directory, Func<string, bool>? exclude, CancellationToken writerCancellation) : Stream
{
    private Stream? _reader;
    private int _consumed;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Reader().Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => Reader().Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => Reader().ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => Reader().ReadAsync(buffer, cancellationToken);

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (Volatile.Read(ref _reader) is not null || Interlocked.Exchange(ref _consumed, 1) == 1)
        {
            // Already being read (or copied): continue from where the reader is, through the pipe.
            await Reader().CopyToAsync(destination, bufferSize, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(writerCancellation, cancellationToken);
        var token = linked.Token;
        await Task.Factory.StartNew(
            () =>
            {
                using var chunked = new ChunkedWriteStream(destination, DirectoryTar.ChunkSize);
                DirectoryTar.Write(directory, chunked, exclude, token);
                chunked.Flush();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).ConfigureAwait(false);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _reader?.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_reader is { } reader)
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private Stream Reader()
    {
        if (Volatile.Read(ref _reader) is { } reader)
        {
            return reader;
        }

        if (Interlocked.Exchange(ref _consumed, 1) == 1)
        {
            throw new InvalidOperationException("The archive is already being copied; it can be consumed once.");
        }

        _reader = DirectoryTar.OpenPipe(directory, exclude, writerCancellation);
        return _reader;
    }

    /// <summary>Gathers the tar writer's small writes (512-byte headers, padding) into large writes; never owns the destination.</summary>
    private sealed class ChunkedWriteStream(Stream destination, int size) : Stream
    {
        private readonly byte[] _buffer = new byte[size];
        private int _used;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (buffer.Length > 0)
            {
                if (_used == 0 && buffer.Length >= _buffer.Length)
                {
                    // A big block (file content) goes through without a copy.
                    destination.Write(buffer);
                    return;
                }

                var n = Math.Min(buffer.Length, _buffer.Length - _used);
                buffer[..n].CopyTo(_buffer.AsSpan(_used));
                _used += n;
                buffer = buffer[n..];
                if (_used == _buffer.Length)
                {
                    Flush();
                }
            }
        }

        public override void Flush()
        {
            if (_used > 0)
            {
                destination.Write(_buffer, 0, _used);
                _used = 0;
            }

            destination.Flush();
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
