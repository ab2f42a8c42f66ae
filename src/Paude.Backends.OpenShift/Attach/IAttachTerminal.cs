namespace Paude.Backends.OpenShift.Attach;

/// <summary>
/// The local side of an attach: the bytes typed, the screen, the terminal size and its changes, and raw mode.
/// The real console is <see cref="ConsoleTerminal"/>; tests pass streams and a size source of their own.
/// </summary>
internal interface IAttachTerminal
{
    /// <summary>What the user types (sent to the session as is).</summary>
    Stream Input { get; }

    /// <summary>Where the session's terminal output goes.</summary>
    Stream Output { get; }

    /// <summary>The current size first, then every change; nothing when the input is not a terminal.</summary>
    IAsyncEnumerable<TerminalSize> SizesAsync(CancellationToken cancellationToken);

    /// <summary>Puts the terminal in raw mode until the result is disposed (a no-op when there is no terminal).</summary>
    IDisposable EnterRawMode();
}
