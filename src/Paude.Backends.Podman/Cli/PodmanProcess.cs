using System.Diagnostics;
using Paude.Execution;

namespace Paude.Backends.Podman.Cli;

/// <summary>A running <c>podman</c> child process (e.g. <c>podman exec -i</c>) exposed as an <see cref="ISessionProcess"/>.</summary>
internal sealed class PodmanProcess : ISessionProcess
{
    private readonly Process _process;
    private int _disposed;

    public PodmanProcess(Process process, bool redirectStdin)
    {
        _process = process;
        StandardInput = redirectStdin ? process.StandardInput.BaseStream : Stream.Null;
        StandardOutput = process.StandardOutput.BaseStream;
        StandardError = process.StandardError.BaseStream;
    }

    public Stream StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw;
        }

        return _process.ExitCode;
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone: nothing to kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        Kill();
        try
        {
            // Reap the child so no zombie podman process is left behind.
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
