using System.Diagnostics;
using System.Globalization;
using Paude.Sessions;

namespace Paude.Cli.Hosting.Terminal;

/// <summary>
/// Runs <c>stty</c> on the controlling terminal as <c>sh -c 'exec stty "$@" &lt; /dev/tty'</c> with all three
/// standard streams redirected: a child that shares the terminal makes .NET re-apply its own saved terminal
/// settings when the child exits, which would undo a change; <c>/dev/tty</c> is the controlling terminal whatever
/// our streams are. The script is fixed; arguments travel as separate argv entries.
/// </summary>
internal static class Stty
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The terminal's size from <c>stty size</c>, read fresh: <see cref="Console.WindowWidth"/> caches the size and a
    /// SIGWINCH handler can run before .NET drops that cache (a resize was measured to be missed that way).
    /// </summary>
    public static TerminalSize ReadSize()
    {
        var (ok, output) = Run("size");
        var parts = output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return ok && parts.Length == 2 &&
               int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rows) &&
               int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var cols)
            ? new TerminalSize(cols, rows)
            : default;
    }

    /// <summary>Runs stty with <paramref name="args"/>; <c>Ok</c> is false when it failed or could not run.</summary>
    public static (bool Ok, string Output) Run(params string[] args)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["-c", "exec stty \"$@\" < /dev/tty", "paude-stty", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return (false, string.Empty);
            }

            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(Timeout))
            {
                process.Kill();
                return (false, string.Empty);
            }

            _ = stderr.Result;
            return (process.ExitCode == 0, output.Trim());
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return (false, string.Empty);
        }
    }
}
