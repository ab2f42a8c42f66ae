namespace Paude.Cli.Hosting.Terminal;

/// <summary>
/// Raw mode for the controlling terminal while an attach runs, through <c>stty</c>: <c>stty -g</c> saves the exact
/// settings, <c>stty raw -echo</c> passes every key (Ctrl+C, Ctrl+Z, Ctrl+b included) to the session untouched and
/// stops local echo (the remote pty echoes), and disposing applies the saved settings again — also on process exit
/// if the attach never unwound. Why stty and not tcsetattr through P/Invoke: <c>struct termios</c> differs per libc
/// and architecture, while stty is POSIX, present wherever a terminal is, and its saved form restores every flag.
/// See <see cref="Stty"/> for how stty is run.
/// </summary>
internal sealed class TerminalMode : IDisposable
{
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
        var (ok, saved) = Stty.Run("-g");
        if (!ok || saved.Length == 0)
        {
            return null;
        }

        var mode = new TerminalMode(saved);
        if (!Stty.Run("raw", "-echo").Ok)
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
            Stty.Run(_saved);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();
}
