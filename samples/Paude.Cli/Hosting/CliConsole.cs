using System.Text;
using Paude.Cli.Output;

namespace Paude.Cli.Hosting;

/// <summary>
/// The streams one invocation of the CLI talks to. The real process uses its own stdin/stdout/stderr; tests pass
/// their own streams so several invocations can run in one test process side by side.
/// </summary>
internal sealed class CliConsole
{
    public CliConsole(Stream standardOutput, Stream standardError, Stream standardInput, bool isInputRedirected, bool isErrorTerminal)
    {
        StandardOutput = standardOutput;
        StandardError = standardError;
        StandardInput = standardInput;
        IsInputRedirected = isInputRedirected;
        IsErrorTerminal = isErrorTerminal;
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

        // Auto-flush: exec writes raw bytes to the same streams, so text must never sit in a buffer behind them.
        // Escaping: much of what paude prints comes from a hostile session (see TerminalSafeWriter).
        Out = new TerminalSafeWriter(new StreamWriter(standardOutput, utf8, bufferSize: 1024, leaveOpen: true) { AutoFlush = true });
        Error = new TerminalSafeWriter(new StreamWriter(standardError, utf8, bufferSize: 1024, leaveOpen: true) { AutoFlush = true });
    }

    /// <summary>Raw stdout (exec output goes here byte for byte).</summary>
    public Stream StandardOutput { get; }

    /// <summary>Raw stderr.</summary>
    public Stream StandardError { get; }

    /// <summary>Raw stdin (forwarded to exec).</summary>
    public Stream StandardInput { get; }

    /// <summary>Whether stdin is a pipe or file rather than a terminal: then exec forwards it without being asked.</summary>
    public bool IsInputRedirected { get; }

    /// <summary>Whether stderr is a terminal: then progress is drawn as a live spinner instead of plain lines.</summary>
    public bool IsErrorTerminal { get; }

    /// <summary>Text on stdout, terminal control characters escaped.</summary>
    public TerminalSafeWriter Out { get; }

    /// <summary>Text on stderr, terminal control characters escaped.</summary>
    public TerminalSafeWriter Error { get; }

    /// <summary>The console of the running process.</summary>
    public static CliConsole FromProcess() => new(
        Console.OpenStandardOutput(),
        Console.OpenStandardError(),
        Console.OpenStandardInput(),
        Console.IsInputRedirected,
        !Console.IsErrorRedirected);
}
