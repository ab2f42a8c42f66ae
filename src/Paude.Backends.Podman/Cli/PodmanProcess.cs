using System.Diagnostics;
using Paude.Execution;

namespace Paude.Backends.Podman.Cli;

/// <summary>A running <c>podman</c> child process (e.g. <c>podman exec -i</c>) exposed as an <see cref="ISessionProcess"/>.</summary>
internal sealed class PodmanProcess : ISessionProcess
{
    private readonly Process _process;
    private int _disposed;
    private Func<Task>? _killRemote;
    private Func<CancellationToken, Task>? _onPodmanFailure;

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

    /// <summary>
    /// Sets what to do when the process ends with an exit code that <c>podman exec</c> itself uses when the exec
    /// cannot run (see <see cref="IsPodmanFailure"/>): the handler reads the container's state and throws the typed
    /// error when it is missing or stopped; otherwise the exit code goes to the caller as it is.
    /// </summary>
    public void OnPodmanFailure(Func<CancellationToken, Task> handler) => _onPodmanFailure = handler;

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

        var exitCode = _process.ExitCode;
        if (_onPodmanFailure is { } handler && IsPodmanFailure(exitCode))
        {
            await handler(cancellationToken).ConfigureAwait(false);
        }

        return exitCode;
    }

    /// <summary>
    /// The exit codes of a failed <c>podman exec</c> (podman 4.3, measured): 125 for a missing container, 255 for a
    /// stopped one ("container state improper"), 126/127 when the exec cannot start. A command inside the container
    /// may exit with them too, so they only trigger a state check; stderr belongs to the caller and is not parsed.
    /// </summary>
    internal static bool IsPodmanFailure(int exitCode) => exitCode is 125 or 126 or 127 or 255;

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
