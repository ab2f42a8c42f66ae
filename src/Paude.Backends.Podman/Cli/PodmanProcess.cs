using System.Diagnostics;
using Paude.Execution;

namespace Paude.Backends.Podman.Cli;

/// <summary>A running <c>podman</c> child process (e.g. <c>podman exec -i</c>) exposed as an <see cref="ISessionProcess"/>.</summary>
internal sealed class PodmanProcess : ISessionProcess
{
    private readonly Process _process;
    private int _disposed;
    private Func<Task>? _killRemote;

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

    /// <summary>
    /// Sets how to kill the process inside the container: killing the local <c>podman exec</c> client (even with
    /// SIGKILL) leaves the exec'd process running in the container (measured on podman 4.3).
    /// </summary>
    public void OnKill(Func<Task> killRemote) => _killRemote = killRemote;

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await KillAsync().ConfigureAwait(false);
            throw;
        }

        return _process.ExitCode;
    }

    private async Task KillAsync()
    {
        var remote = Interlocked.Exchange(ref _killRemote, null);
        if (remote is not null && !_process.HasExited)
        {
            try
            {
                await remote().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Errors.PaudeException or IOException or InvalidOperationException)
            {
                // Best effort: the local client is killed below either way.
            }
        }

        Kill();
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

        await KillAsync().ConfigureAwait(false);
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
