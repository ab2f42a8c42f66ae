using System.Diagnostics;
using System.Text;

namespace Paude.TestSupport;

/// <summary>The outcome of a host process run by tests.</summary>
public sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Throws when the exit code is not 0.</summary>
    public ProcessOutcome EnsureSuccess(string what)
        => ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed with exit code {ExitCode}: {StandardError}{StandardOutput}");
}

/// <summary>
/// Runs real host programs (podman, git, tar, kubectl) for tests, with an argument vector, never a shell string.
/// Stdin is always a pipe (closed at once when there is nothing to write), so a program never waits on the test
/// host's terminal; a cancelled or timed-out run kills the process tree instead of leaving it behind.
/// </summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/>, optionally feeding stdin, and captures output.</summary>
    public static Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> args, Stream? stdin = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
        => RunAsync(program, args, stdin is null ? null : input => stdin.CopyToAsync(input, cancellationToken), workingDirectory, environment, timeout: null, cancellationToken);

    /// <summary>
    /// Runs <paramref name="program"/>; <paramref name="writeStdin"/> writes its input (stdin is closed after it).
    /// After <paramref name="timeout"/> the process tree is killed and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static async Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> args, Func<Stream, Task>? writeStdin, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var info = StartInfo(program, args);
        info.RedirectStandardInput = true;
        info.WorkingDirectory = workingDirectory ?? string.Empty;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t)
        {
            limit.CancelAfter(t);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");

        // Output is read to the end even when the run is cut short: the process is killed, so its pipes close, and
        // what it printed until then is what explains a hang.
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            try
            {
                if (writeStdin is not null)
                {
                    await writeStdin(process.StandardInput.BaseStream);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program exited (or closed stdin) before reading all of it, as a script refusing early does:
                // its exit code and output say what happened.
            }
            await process.WaitForExitAsync(limit.Token);
            return new ProcessOutcome(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            Kill(process);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish within {timeout}; stdout: {Tail(await stdout)}; stderr: {Tail(await stderr)}");
        }
    }

    /// <summary>Runs <paramref name="program"/> and returns its stdout as a stream copy (for binary output such as tar).</summary>
    public static async Task<MemoryStream> RunBinaryAsync(string program, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        using var process = Process.Start(StartInfo(program, args)) ?? throw new InvalidOperationException($"Could not start {program}.");
        try
        {
            var output = new MemoryStream();
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.StandardOutput.BaseStream.CopyToAsync(output, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {await stderr}");
            }

            output.Position = 0;
            return output;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            throw;
        }
    }

    private static ProcessStartInfo StartInfo(string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }

    private static string Tail(string text) => text.Length > 4000 ? "…" + text[^4000..] : text;

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
