using System.Diagnostics;
using System.Text;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>Runs <c>podman</c> with an argument vector (never a shell string).</summary>
internal sealed class PodmanCli(string executable)
{
    public string Executable { get; } = executable;

    public async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        using var process = Start(args, redirectStdin: false);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            throw;
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs and fails with the stderr text when podman exits non-zero.</summary>
    public async Task<string> CheckedAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var list = args.ToList();
        var (code, stdout, stderr) = await RunAsync(list, cancellationToken).ConfigureAwait(false);
        return code == 0 ? stdout : throw new InvalidOperationException($"podman {list.FirstOrDefault()} failed ({code}): {stderr.Trim()}");
    }

    /// <summary>
    /// Runs a listing (<c>ps -a</c>, <c>volume ls</c>) and returns its output. Podman reads the names first and then
    /// each object, so one removed in between (by another server or test on the machine) fails the whole listing
    /// with "no such …": such a listing is repeated; any other failure throws as <see cref="CheckedAsync"/> does.
    /// </summary>
    public async Task<string> ListAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var list = args.ToList();
        for (var attempt = 1; ; attempt++)
        {
            var (code, stdout, stderr) = await RunAsync(list, cancellationToken).ConfigureAwait(false);
            if (code == 0)
            {
                return stdout;
            }

            if (!stderr.Contains("no such", StringComparison.OrdinalIgnoreCase) || attempt == 5)
            {
                throw new InvalidOperationException($"podman {string.Join(' ', list.Take(2))} failed ({code}): {stderr.Trim()}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    public Process Start(IEnumerable<string> args, bool redirectStdin)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("podman could not be started");
    }

    public static void TryKill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
