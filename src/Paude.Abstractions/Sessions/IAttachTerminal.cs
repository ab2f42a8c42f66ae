namespace Paude.Sessions;

/// <summary>
/// The local side of <see cref="ISessionBackend.AttachAsync"/>: the bytes typed, the screen, the terminal size and its
/// changes, and raw mode. A console host implements it over its own terminal (the sample CLI does, with <c>stty</c>);
/// an embedding application (a web terminal, an IDE panel, a test) implements it over its own streams.
/// </summary>
/// <remarks>
/// The backend reads <see cref="Input"/> until it ends or the attach ends; a read that cannot be cancelled is left to
/// finish on its own. It writes the session's terminal output (one stream: stdout and stderr are merged by the
/// session's pseudo-terminal) to <see cref="Output"/> and flushes every chunk. It does not dispose either stream.
/// </remarks>
public interface IAttachTerminal
{
    /// <summary>What the user types, sent to the session as is (control keys included).</summary>
    Stream Input { get; }

    /// <summary>Where the session's terminal output goes.</summary>
    Stream Output { get; }

    /// <summary>
    /// The current size first, then every change, until <paramref name="cancellationToken"/> is cancelled. An empty
    /// sequence (or sizes that are not <see cref="TerminalSize.IsValid"/>) leaves the session's size as it is.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the attach ends.</param>
    IAsyncEnumerable<TerminalSize> SizesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Puts the local terminal in raw mode (every key passed through, no local echo) until the result is disposed.
    /// A terminal without modes returns a disposable that does nothing.
    /// </summary>
    IDisposable EnterRawMode();
}
