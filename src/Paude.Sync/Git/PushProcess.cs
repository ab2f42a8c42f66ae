using Paude.Execution;

namespace Paude.Sync.Git;

/// <summary>Plumbing shared by the fast pushes: the one session program they start, feed and read.</summary>
internal static class PushProcess
{
    /// <summary>Ends a started program without sending anything: end-of-file before the first line makes it exit unchanged.</summary>
    internal static async Task AbandonAsync(Task<ISessionProcess> starting)
    {
        try
        {
            var process = await starting.ConfigureAwait(false);
            await using (process.ConfigureAwait(false))
            {
                await process.StandardInput.DisposeAsync().ConfigureAwait(false);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Errors.PaudeException)
        {
            // The start itself failed or was cancelled: nothing runs in the session.
        }
    }

    /// <summary>
    /// <c>false</c> when the session stopped reading: the script exited early (state moved, or paths at risk) and
    /// its exit code says why.
    /// </summary>
    internal static async Task<bool> TryWriteAsync(Stream stdin, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await stdin.WriteAsync(data, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The error for a local file that vanished or could not be read (<see cref="IOException"/>,
    /// <see cref="UnauthorizedAccessException"/>) while it was being sent. The caller's
    /// <c>await using</c> of the session program then ends it before it has placed anything (its staged input is
    /// incomplete), so the workspace in the session is as it was.
    /// </summary>
    internal static SyncTransportException LocalReadFailed(string session, Exception e) =>
        new($"A local file changed or vanished while it was being sent to session '{session}' ({e.Message}); nothing was placed in the session. Sync again.", e);

    /// <summary>
    /// Waits for the session program's answer (its output to the end, its error text and its exit code) once the
    /// host has sent everything, at most <see cref="SyncOptions.StreamIdleTimeout"/>: a session that read the whole
    /// push and then never answers would otherwise hold the sync and the workspace's lock for ever. The abandoned
    /// reads end when the caller disposes the process, which it does on the way out (that also stops the program).
    /// </summary>
    /// <exception cref="SyncTransportException">No answer within the timeout.</exception>
    internal static async Task<(byte[] Output, string Error, int Exit)> AnswerAsync(
        SyncContext context, ISessionProcess process, Task<byte[]> stdout, Task<byte[]> stderr, string what, CancellationToken cancellationToken)
    {
        async Task<(byte[], string, int)> CollectAsync()
        {
            var output = await stdout.ConfigureAwait(false);
            var error = System.Text.Encoding.UTF8.GetString(await stderr.ConfigureAwait(false)).Trim();
            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (output, error, exit);
        }

        var idle = context.Options.StreamIdleTimeout;
        try
        {
            return await CollectAsync().WaitAsync(idle, context.Time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new SyncTransportException(
                $"Session '{context.Session.Value}' did not answer within {idle.TotalSeconds:0.#} s after {what} was sent (SyncOptions.StreamIdleTimeout); its program was stopped. Sync again: the next push checks what the session holds.");
        }
    }

    /// <summary>Reads a stream of the session program to its end; its output is untrusted, so it is capped.</summary>
    internal static async Task<byte[]> ReadCappedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                throw new Errors.UnsafeContentException("(push output)", $"exceeds {limit} bytes");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
