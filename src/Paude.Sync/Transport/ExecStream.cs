using System.Text;
using LibGit2Sharp;
using Paude.Execution;

namespace Paude.Sync.Transport;

/// <summary>The pack-protocol stream of one <c>git-upload-pack</c>/<c>git-receive-pack</c> process in a session.</summary>
internal sealed class ExecStream : SmartSubtransportStream
{
    private readonly SessionEndpoint _endpoint;
    private readonly ISessionProcess _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrPump;
    private readonly CancellationTokenRegistration _cancellation;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _disposed;

    private ExecStream(SmartSubtransport owner, SessionEndpoint endpoint, ISessionProcess process)
        : base(owner)
    {
        _endpoint = endpoint;
        _process = process;
        _stderrPump = PumpStderrAsync();

        // libgit2 cannot cancel a blocking read: killing the process makes the read end.
        _cancellation = endpoint.CancellationToken.Register(Abort);
    }

    public static ExecStream Start(SmartSubtransport owner, SessionEndpoint endpoint, string program)
    {
        endpoint.CancellationToken.ThrowIfCancellationRequested();
        var process = ExecSmartSubtransport.Wait(endpoint.Backend.StartProcessAsync(
            endpoint.Session, ExecSmartSubtransport.PackSpec(program, endpoint.RepositoryPath), endpoint.CancellationToken));
        return new ExecStream(owner, endpoint, process);
    }

    public override int Read(Stream dataStream, long length, out long bytesRead)
    {
        bytesRead = 0;
        try
        {
            var want = (int)Math.Min(length, _buffer.Length);
            var n = Bounded(_process.StandardOutput.ReadAsync(_buffer, 0, want), "sent nothing");
            if (n < 0)
            {
                return _endpoint.Failure is null ? -1 : ExecTransport.Fail(_endpoint.Failure.Message);
            }

            if (n == 0)
            {
                return FailFromRemote("the session closed the git connection early");
            }

            dataStream.Write(_buffer, 0, n);
            bytesRead = n;
            _endpoint.AddBytes(n);
            return 0;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return Record(ex);
        }
    }

    public override int Write(Stream dataStream, long length)
    {
        try
        {
            var left = length;
            while (left > 0)
            {
                var n = dataStream.Read(_buffer, 0, (int)Math.Min(left, _buffer.Length));
                if (n == 0)
                {
                    break;
                }

                if (Bounded(WriteAsync(n), "read nothing") < 0)
                {
                    return ExecTransport.Fail(_endpoint.Failure!.Message);
                }

                left -= n;
                _endpoint.AddBytes(n);
            }

            if (Bounded(FlushAsync(), "read nothing") < 0)
            {
                return ExecTransport.Fail(_endpoint.Failure!.Message);
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return Record(ex);
        }
    }

    protected override void Free()
    {
        // Closing stdin lets the pack program finish on its own; reaping it in the background saves the exec's
        // teardown time on every sync (the data exchange is already complete when libgit2 frees the stream).
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _cancellation.Dispose();
            _ = ReapAsync();
        }

        base.Free();
    }

    /// <summary>Kills the process (cancellation or a transport torn down without <see cref="Free"/>).</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _ = _process.DisposeAsync().AsTask();
        }
    }

    private async Task ReapAsync()
    {
        try
        {
            await _process.StandardInput.DisposeAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The process is killed below either way.
        }
        finally
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for one read or write at most <see cref="SessionEndpoint.Idle"/> (libgit2 blocks in it and cannot time
    /// out on its own: a session that goes quiet mid-fetch would hold the sync for ever). Cancellation still works by
    /// killing the process (<see cref="Abort"/>), which ends the call. On a timeout the process is
    /// killed (which ends the abandoned call), the failure recorded, and -1 returned.
    /// </summary>
    private int Bounded(Task<int> call, string verb)
    {
        try
        {
            return call.WaitAsync(_endpoint.Idle, _endpoint.Time).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            Abort();
            _endpoint.Failure ??= new SyncTransportException(
                $"Session '{_endpoint.Session.Value}' {verb} for {_endpoint.Idle.TotalSeconds:0.#} s during a git transfer (SyncOptions.StreamIdleTimeout); the transfer was stopped and nothing was applied.");
            return -1;
        }
    }

    private async Task<int> WriteAsync(int count)
    {
        await _process.StandardInput.WriteAsync(_buffer.AsMemory(0, count), CancellationToken.None).ConfigureAwait(false);
        return count;
    }

    private async Task<int> FlushAsync()
    {
        await _process.StandardInput.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private int FailFromRemote(string what)
    {
        if (_endpoint.CancellationToken.IsCancellationRequested)
        {
            return Record(new OperationCanceledException(_endpoint.CancellationToken));
        }

        // The remote's stderr says why (e.g. "'/x' does not appear to be a git repository"); give it a moment.
        _stderrPump.Wait(TimeSpan.FromSeconds(5));
        string remote;
        lock (_stderr)
        {
            remote = ExecTransport.Describe(_stderr);
        }

        _endpoint.RemoteError = remote;
        var message = remote.Length > 0 ? $"{what}: {remote}" : what;
        return Record(new SyncTransportException(message));
    }

    private int Record(Exception ex)
    {
        _endpoint.Failure ??= _endpoint.CancellationToken.IsCancellationRequested ? new OperationCanceledException(_endpoint.CancellationToken) : ex;
        return ExecTransport.Fail(_endpoint.Failure.Message);
    }

    private Task PumpStderrAsync() => StderrCapture.PumpAsync(_process.StandardError, _stderr);
}
