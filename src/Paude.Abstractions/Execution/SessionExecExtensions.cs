using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Execution;

/// <summary>Convenience exec on top of <see cref="ISessionBackend.StartProcessAsync"/>.</summary>
public static class SessionExecExtensions
{
    /// <summary>The most bytes <c>ExecAsync</c> captures per stream (16 MiB); use <c>ReadOutputAsync</c> for more.</summary>
    public const int MaxCapturedBytes = 16 * 1024 * 1024;

    private const int ChunkSize = 16 * 1024;

    /// <summary>Runs <paramref name="command"/> (an argument vector) to completion and captures its output.</summary>
    public static Task<ExecResult> ExecAsync(this ISessionBackend backend, SessionName name, IReadOnlyList<string> command, CancellationToken cancellationToken = default)
        => backend.ExecAsync(name, new ProcessSpec(command), standardInput: null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="spec"/> to completion, streaming <paramref name="standardInput"/> (when given) to
    /// the process while stdout and stderr are captured concurrently, each up to <see cref="MaxCapturedBytes"/>.
    /// </summary>
    /// <exception cref="BackendOperationException">The output exceeded <see cref="MaxCapturedBytes"/>; the process was stopped.</exception>
    /// <remarks>
    /// When reading <paramref name="standardInput"/> fails, the process is stopped and that error is rethrown: the
    /// command is never handed a truncated input as if it were whole.
    /// </remarks>
    public static async Task<ExecResult> ExecAsync(this ISessionBackend backend, SessionName name, ProcessSpec spec, Stream? standardInput, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        if (standardInput is not null && !spec.RedirectStandardInput)
        {
            spec = spec with { RedirectStandardInput = true };
        }

        var process = await backend.StartProcessAsync(name, spec, cancellationToken).ConfigureAwait(false);
        await using (process.ConfigureAwait(false))
        {
            var stdout = CaptureAsync(process.StandardOutput, "stdout", cancellationToken);
            var stderr = CaptureAsync(process.StandardError, "stderr", cancellationToken);
            var stdin = FeedAsync(process, standardInput, cancellationToken);
            try
            {
                // The input first: when it fails, its error is the one to report (the output readers then fail too).
                await stdin.ConfigureAwait(false);
            }
            catch
            {
                _ = Task.WhenAll(stdout, stderr).ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                throw;
            }

            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            var exitCode = await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return new ExecResult(exitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }

    /// <summary>
    /// Reads stdout and stderr of <paramref name="process"/> (from <see cref="ISessionBackend.StartProcessAsync"/>)
    /// concurrently and yields the chunks in the order they arrive, until both streams end. Each chunk owns its
    /// bytes; a slow consumer slows the process down instead of buffering without limit. The exit code follows
    /// from <see cref="ISessionProcess.WaitForExitAsync"/>.
    /// </summary>
    public static async IAsyncEnumerable<OutputChunk> ReadOutputAsync(this ISessionProcess process, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(process);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // Bounded: a slow consumer slows the readers down instead of buffering without limit.
        var channel = Channel.CreateBounded<OutputChunk>(new BoundedChannelOptions(64) { SingleReader = true });
        var readers = Task.WhenAll(
            PumpAsync(process.StandardOutput, OutputKind.StandardOutput, channel.Writer, stop.Token),
            PumpAsync(process.StandardError, OutputKind.StandardError, channel.Writer, stop.Token));
        _ = readers.ContinueWith(t => channel.Writer.TryComplete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var chunk in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return chunk;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await readers.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Expected when the consumer stopped early.
            }
        }
    }

    private static async Task PumpAsync(Stream source, OutputKind kind, ChannelWriter<OutputChunk> writer, CancellationToken ct)
    {
        while (true)
        {
            var buffer = new byte[ChunkSize];
            var read = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            await writer.WriteAsync(new OutputChunk(kind, buffer.AsMemory(0, read)), ct).ConfigureAwait(false);
        }
    }

    private static async Task FeedAsync(ISessionProcess process, Stream? input, CancellationToken ct)
    {
        if (input is null)
        {
            return;
        }

        var stdin = process.StandardInput;
        var buffer = new byte[ChunkSize];
        while (true)
        {
            int read;
            try
            {
                read = await input.ReadAsync(buffer, ct).ConfigureAwait(false);
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                // The caller's input failed: stop the process before it sees end-of-file and takes the truncated
                // input for the whole (this used to be swallowed as "the process closed its stdin").
                await process.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (read == 0)
            {
                break;
            }

            try
            {
                await stdin.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The process closed its stdin (exited early); its exit code tells the story.
                break;
            }
        }

        try
        {
            await stdin.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // Already closed by the process: nothing more to send.
        }
    }

    private static async Task<string> CaptureAsync(Stream source, string streamName, CancellationToken ct)
    {
        using var captured = new MemoryStream();
        var buffer = new byte[ChunkSize];
        while (true)
        {
            var read = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            if (captured.Length + read > MaxCapturedBytes)
            {
                throw new BackendOperationException($"The command wrote more than {MaxCapturedBytes} bytes to {streamName}; read large output with ReadOutputAsync.");
            }

            captured.Write(buffer, 0, read);
        }

        return System.Text.Encoding.UTF8.GetString(captured.GetBuffer(), 0, (int)captured.Length);
    }
}
