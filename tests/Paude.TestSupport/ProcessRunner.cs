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

/// <summary>Runs real host programs (podman, git, tar) for tests, with an argument vector, never a shell string.</summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/>, optionally feeding stdin, and captures output.</summary>
    public static async Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> args, Stream? stdin = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await stdin.CopyToAsync(process.StandardInput.BaseStream, cancellationToken);
            process.StandardInput.Close();
        }

        await process.WaitForExitAsync(cancellationToken);
        return new ProcessOutcome(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs <paramref name="program"/> and returns its stdout as a stream copy (for binary output such as tar).</summary>
    public static async Task<MemoryStream> RunBinaryAsync(string program, IEnumerable<string> args, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
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
}
