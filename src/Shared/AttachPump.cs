using Paude.Errors;
using Paude.Execution;

namespace Paude.Sessions;

// Shared source (src/Shared): compiled as an internal type into each backend package (OpenShift, Podman).

/// <summary>
/// Moves the bytes of one attach: terminal input → the process's stdin, its (TTY, so merged) output → the terminal,
/// and each terminal size → the resize channel, the first one right after the exec started. The session ends when
/// the process does; its exit code is returned. Input that ends (a pipe, not a terminal) closes the process's stdin.
/// </summary>
internal sealed class AttachPump(ISessionProcess process, Func<TerminalSize, CancellationToken, ValueTask> resize)
{
    public async Task<int> RunAsync(Stream input, Stream output, IAsyncEnumerable<TerminalSize> sizes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(sizes);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var resizing = ForwardSizesAsync(sizes, stop.Token);
        var typing = ForwardInputAsync(input, stop.Token);
        try
        {
            try
            {
                await CopyOutputAsync(output, cancellationToken).ConfigureAwait(false);
            }
            catch (BackendOperationException)
            {
                // The exec stream broke: the process's own end says why (e.g. that its pod went away).
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw;
            }

            return await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Quietly(resizing).ConfigureAwait(false);

            // A read from a terminal cannot be cancelled: the task is left to end with the next keystroke (or with
            // the process), and its failure, if any, is observed here so it never surfaces as unobserved.
            _ = typing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private async Task CopyOutputAsync(Stream output, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await process.StandardOutput.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);

            // Interactive: every chunk is shown at once, never held in a buffer.
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ForwardSizesAsync(IAsyncEnumerable<TerminalSize> sizes, CancellationToken cancellationToken)
    {
        TerminalSize last = default;
        await foreach (var size in sizes.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (size.IsValid && size != last)
            {
                await resize(size, cancellationToken).ConfigureAwait(false);
                last = size;
            }
        }
    }

    private async Task ForwardInputAsync(Stream input, CancellationToken cancellationToken)
    {
        // Yield first: a synchronous terminal read must not run on the caller's thread before the output pump starts.
        await Task.Yield();
        var buffer = new byte[4096];
        int n;
        while ((n = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await process.StandardInput.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
        }

        await process.StandardInput.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for a helper task; its cancellation or a send on an exec stream that already ended is expected.</summary>
    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or BackendOperationException or ObjectDisposedException or IOException)
        {
            // The session is over; the exit code or the output pump's error is what the caller needs.
        }
    }
}
