using System.Diagnostics;

namespace Paude.Backends.OpenShift.Attach;

/// <summary>
/// Raw mode for the controlling terminal while an attach runs, through <c>stty</c>: <c>stty -g</c> saves the exact
/// settings, <c>stty raw -echo</c> passes every key (Ctrl+C, Ctrl+Z, Ctrl+b included) to the session untouched and
/// stops local echo (the remote pty echoes), and disposing applies the saved settings again — also on process exit
/// if the attach never unwound. Why stty and not tcsetattr through P/Invoke: <c>struct termios</c> differs per libc
/// and architecture, while stty is POSIX, present wherever a terminal is, and its saved form restores every flag.
/// It runs as <c>sh -c 'exec stty "$@" &lt; /dev/tty'</c> with all three standard streams redirected: a child that
/// shares the terminal makes .NET re-apply its own saved terminal settings when the child exits, which would undo
/// the change; <c>/dev/tty</c> is the controlling terminal whatever our streams are.
/// </summary>
internal sealed class TerminalMode : IDisposable
{
    private static readonly TimeSpan SttyTimeout = TimeSpan.FromSeconds(10);
    private readonly string _saved;
    private int _restored;

    private TerminalMode(string saved)
    {
        _saved = saved;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Enters raw mode; <c>null</c> when the terminal's settings cannot be read (no stty, no controlling terminal).</summary>
    public static TerminalMode? EnterRaw()
    {
        var (ok, saved) = Stty("-g");
        if (!ok || saved.Length == 0)
        {
            return null;
        }

        var mode = new TerminalMode(saved);
        if (!Stty("raw", "-echo").Ok)
        {
            mode.Dispose();
            return null;
        }

        return mode;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _restored, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            Stty(_saved);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private static (bool Ok, string Output) Stty(params string[] args)
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
            if (!process.WaitForExit(SttyTimeout))
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
