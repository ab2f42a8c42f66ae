using System.Text;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Sync.Transport;

/// <summary>One <c>git-upload-pack</c> process in a session: pkt-lines in and out, its stderr, its end.</summary>
internal sealed class UploadPackConnection : IAsyncDisposable
{
    private const byte PackBand = 1;
    private const byte ProgressBand = 2;
    private const byte ErrorBand = 3;

    private readonly ISessionProcess _process;
    private readonly CancellationToken _cancellationToken;

    // The process's stdout behind the caller's guard (an idle timeout): a session that stops mid-answer must not hang the fetch.
    private readonly Stream _stdout;
    private readonly CancellationTokenRegistration _cancellation;
    private readonly byte[] _buffer = new byte[PktLine.MaxPayload];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private int _finished;

    public UploadPackConnection(ISessionProcess process, Stream standardOutput, CancellationToken cancellationToken)
    {
        _process = process;
        _stdout = standardOutput;
        _cancellationToken = cancellationToken;
        _stderrPump = PumpStderrAsync();

        // A blocked pipe read does not observe the token everywhere: ending the process ends the read.
        _cancellation = cancellationToken.Register(() => _ = DisposeAsync().AsTask());
    }

    /// <summary>Bytes that crossed the channel (both directions, framing included).</summary>
    public long Bytes { get; private set; }

    public bool ServerAdvertisesObjectFormat { get; set; }

    public async Task SendAsync(MemoryStream request)
    {
        try
        {
            await _process.StandardInput.WriteAsync(request.GetBuffer().AsMemory(0, (int)request.Length), _cancellationToken).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(_cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            throw new SyncTransportException("The session closed the git connection early.");
        }

        Bytes += request.Length;
    }

    /// <summary>The next text line; <c>null</c> at a flush or delimiter. An <c>ERR</c> line is thrown.</summary>
    public async Task<string?> ReadLineAsync()
    {
        var n = await ReadPacketAsync().ConfigureAwait(false);
        if (n < 0)
        {
            return null;
        }

        var line = PktLine.Text(_buffer, n);
        return line.StartsWith("ERR ", StringComparison.Ordinal)
            ? throw new SyncTransportException($"The session's git refused: {PktLine.Printable(_buffer.AsSpan(4, n - 4))}")
            : line;
    }

    /// <summary>The side-band-64k stream of the <c>packfile</c> section into <paramref name="indexer"/>, up to its flush.</summary>
    public async Task ReceivePackAsync(PackIndexer indexer, long maxPackBytes)
    {
        int n;
        while ((n = await ReadPacketAsync().ConfigureAwait(false)) != PktLine.Flush)
        {
            if (n <= 0)
            {
                throw new SyncTransportException("The session's git sent an empty or out-of-place packet inside the pack.");
            }

            switch (_buffer[0])
            {
                case PackBand:
                    if (indexer.Received + n - 1 > maxPackBytes)
                    {
                        throw new SyncTransportException($"The pack from the session exceeds the limit of {maxPackBytes} bytes; nothing was written.");
                    }

                    indexer.Append(_buffer, 1, n - 1);
                    break;
                case ProgressBand:
                    break;
                case ErrorBand:
                    throw new SyncTransportException($"The session's git failed: {PktLine.Printable(_buffer.AsSpan(1, n - 1))}");
                default:
                    throw new SyncTransportException($"The session's git sent an unknown side-band {_buffer[0]}.");
            }
        }
    }

    /// <summary>The real cause of a failed exchange: cancellation, a missing repository, the remote's stderr.</summary>
    public async Task<Exception> ExplainAsync(SyncTransportException failure, ISessionBackend backend, SessionName session, string path)
    {
        if (_cancellationToken.IsCancellationRequested)
        {
            return new OperationCanceledException("The sync was cancelled.", failure, _cancellationToken);
        }

        // The remote's stderr says why ("'/x' does not appear to be a git repository"); wait for the process to end
        // (stdin closed first: a program still waiting for a request ends at once).
        try
        {
            await _process.StandardInput.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Already gone (a broken pipe): the process ended, which is what is waited for below.
        }

        int? exitCode = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            exitCode = await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            await _stderrPump.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Still running (it sent garbage) or its stdin is gone: its stderr so far is all there is.
        }

        string remote;
        lock (_stderr)
        {
            remote = ExecTransport.Describe(_stderr);
        }

        // podman 4.3 sometimes drops the output of an exec that ends at once (seen here: git's "fatal:" line missing);
        // git's exit code 128 then gets a second, deterministic look at the path.
        if (remote.Contains("does not appear to be a git repository", StringComparison.Ordinal)
            || (remote.Length == 0 && exitCode == 128 && !await IsRepositoryAsync(backend, session, path).ConfigureAwait(false)))
        {
            return new NotAGitRepositoryException($"{session.Value}:{path}", "the session workspace has no git repository (push to the session first)");
        }

        var message = $"Git transfer with session '{session.Value}' failed: {failure.Message}";
        return new SyncTransportException(remote.Length > 0 ? $"{message} ({remote})" : message, failure);
    }

    /// <summary>Whether <paramref name="path"/> itself (or its <c>.git</c>) is a repository: git's discovery stops at its parent.</summary>
    private async Task<bool> IsRepositoryAsync(ISessionBackend backend, SessionName session, string path)
    {
        var parent = Path.GetDirectoryName(path.TrimEnd('/'));
        var spec = new ProcessSpec(["git", "-C", path, "rev-parse", "--git-dir"])
        {
            Environment = parent is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { ["GIT_CEILING_DIRECTORIES"] = parent },
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await using var probe = await backend.StartProcessAsync(session, spec, timeout.Token).ConfigureAwait(false);
        return await probe.WaitForExitAsync(timeout.Token).ConfigureAwait(false) == 0;
    }

    /// <summary>Closes stdin and reaps the process in the background (the exchange is complete).</summary>
    public void FinishInBackground()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _cancellation.Dispose();
            _ = ReapAsync();
        }
    }

    /// <summary>Kills the process (failure or cancellation).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            await _cancellation.DisposeAsync().ConfigureAwait(false);
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<int> ReadPacketAsync()
    {
        try
        {
            var n = await PktLine.ReadAsync(_stdout, _buffer, _cancellationToken).ConfigureAwait(false);
            Bytes += n < 0 ? 4 : n + 4;
            return n;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            throw new SyncTransportException("The session closed the git connection early.");
        }
    }

    private async Task ReapAsync()
    {
        try
        {
            await _process.StandardInput.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // Already gone (a broken pipe): the process ended, which is what is waited for below.
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or Errors.PaudeException)
        {
            // The process is killed below either way.
        }
        finally
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task PumpStderrAsync() => StderrCapture.PumpAsync(_process.StandardError, _stderr);
}
