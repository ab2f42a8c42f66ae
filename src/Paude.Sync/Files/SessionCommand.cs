using System.Text;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Sync.Files;

/// <summary>
/// Runs fixed helper programs in the session. Scripts are constants: every session- or user-controlled value is
/// passed as a separate argument (<c>bash -c SCRIPT bash ARG...</c>), never pasted into the script text.
/// </summary>
internal static class SessionCommand
{
    /// <summary>Maximum stdout kept from a listing (the session is untrusted; a runaway listing must not exhaust memory).</summary>
    private const int MaxOutput = 256 * 1024 * 1024;

    /// <summary>
    /// How long one helper may run (listing and hashing a large workspace takes seconds to minutes): a session that
    /// hangs must not hold the workspace's sync lock for ever.
    /// </summary>
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(15);

    public static async Task<(int ExitCode, byte[] Output, string Error)> RunAsync(
        ISessionBackend backend, SessionName session, IReadOnlyList<string> argv, ReadOnlyMemory<byte> stdin, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            return await RunBoundedAsync(backend, session, argv, stdin, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SyncTransportException($"A helper command in session '{session.Value}' did not finish within {Timeout.TotalMinutes:0} minutes; it was stopped.");
        }
    }

    private static async Task<(int ExitCode, byte[] Output, string Error)> RunBoundedAsync(
        ISessionBackend backend, SessionName session, IReadOnlyList<string> argv, ReadOnlyMemory<byte> stdin, CancellationToken cancellationToken)
    {
        var spec = new ProcessSpec(argv) { RedirectStandardInput = !stdin.IsEmpty };
        var process = await backend.StartProcessAsync(session, spec, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = ReadAllAsync(process.StandardOutput, MaxOutput, cancellationToken);
            var stderr = ReadAllAsync(process.StandardError, 64 * 1024, cancellationToken);
            if (!stdin.IsEmpty)
            {
                await process.StandardInput.WriteAsync(stdin, cancellationToken).ConfigureAwait(false);
                await process.StandardInput.DisposeAsync().ConfigureAwait(false);
            }

            var output = await stdout.ConfigureAwait(false);
            var error = await stderr.ConfigureAwait(false);
            var exit = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (exit, output, Encoding.UTF8.GetString(error).Trim());
        }
    }

    /// <summary>Runs and throws <see cref="SyncTransportException"/> when the exit code is not 0.</summary>
    public static async Task<byte[]> RunCheckedAsync(
        ISessionBackend backend, SessionName session, string what, IReadOnlyList<string> argv, ReadOnlyMemory<byte> stdin, CancellationToken cancellationToken)
    {
        var (exit, output, error) = await RunAsync(backend, session, argv, stdin, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new SyncTransportException($"{what} failed in session '{session.Value}' (exit {exit}): {Trim(error)}");
        }

        return output;
    }

    /// <summary>Splits NUL-terminated records.</summary>
    public static IEnumerable<string> Records(byte[] output)
    {
        var start = 0;
        for (var i = 0; i < output.Length; i++)
        {
            if (output[i] == 0)
            {
                yield return Encoding.UTF8.GetString(output, start, i - start);
                start = i + 1;
            }
        }
    }

    private static string Trim(string text) => text.Length > 1000 ? text[..1000] + "..." : text;

    private static async Task<byte[]> ReadAllAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit)
            {
                throw new Errors.UnsafeContentException("(command output)", $"exceeds {limit} bytes");
            }

            buffer.Write(chunk, 0, n);
        }

        return buffer.ToArray();
    }
}
