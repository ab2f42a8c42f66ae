using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// A process whose failure is double-checked against its pod: when the pod was deleted or replaced while the
/// process ran, the exit code only says "killed", so the caller gets a clear error instead.
/// </summary>
internal sealed class PodBoundProcess(ISessionProcess inner, string pod, Func<CancellationToken, Task<bool>> podUnchanged) : ISessionProcess
{
    public Stream StandardInput => inner.StandardInput;

    public Stream StandardOutput => inner.StandardOutput;

    public Stream StandardError => inner.StandardError;

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        int exit;
        try
        {
            exit = await inner.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (BackendOperationException e)
        {
            if (!await podUnchanged(cancellationToken).ConfigureAwait(false))
            {
                throw new BackendOperationException($"Pod {pod} went away while the process ran; its result is lost.", e);
            }

            throw;
        }

        if (exit != 0 && !await podUnchanged(cancellationToken).ConfigureAwait(false))
        {
            throw new BackendOperationException($"Pod {pod} went away while the process ran (exit {exit}); its result is lost.");
        }

        return exit;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
