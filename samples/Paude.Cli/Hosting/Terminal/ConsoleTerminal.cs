using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using Paude.Sessions;

namespace Paude.Cli.Hosting.Terminal;

/// <summary>
/// The process's own console as an attach terminal. When stdin is a terminal, input and output are read and written
/// on file descriptors 0 and 1 directly, unbuffered (System.Console's stdin stream on a terminal edits lines itself,
/// which would swallow the very keys raw mode lets through), the size is read at start and on every SIGWINCH
/// (<see cref="Stty.ReadSize"/>, else <see cref="Console.WindowWidth"/>/<see cref="Console.WindowHeight"/>), and raw mode is available. Otherwise the
/// bytes are just pumped: no size, no raw mode.
/// </summary>
internal sealed class ConsoleTerminal : IAttachTerminal, IDisposable
{
    // Windows consoles are pumped only (no stty, no SIGWINCH); Unix terminals get the full treatment.
    private readonly bool _isTerminal = !OperatingSystem.IsWindows() && !Console.IsInputRedirected;
    // Only "it changed" is queued (coalesced); the size itself is read when the change is handled.
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private PosixSignalRegistration? _resized;

    public ConsoleTerminal()
    {
        Input = _isTerminal ? new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0) : Console.OpenStandardInput();
        Output = !OperatingSystem.IsWindows() && !Console.IsOutputRedirected ? new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0) : Console.OpenStandardOutput();
    }

    public Stream Input { get; }

    public Stream Output { get; }

    public async IAsyncEnumerable<TerminalSize> SizesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!_isTerminal || OperatingSystem.IsWindows())
        {
            yield break;
        }

        _resized ??= PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => _changes.Writer.TryWrite(true));
        yield return Current();
        while (await _changes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_changes.Reader.TryRead(out _))
            {
            }

            yield return Current();
        }
    }

    public IDisposable EnterRawMode() => (_isTerminal ? TerminalMode.EnterRaw() : null) ?? (IDisposable)NoMode.Instance;

    public void Dispose()
    {
        _resized?.Dispose();
        _changes.Writer.TryComplete();
        Input.Dispose();
        Output.Dispose();
    }

    /// <summary>The size from stty (never stale); System.Console's (cached) only when stty cannot tell.</summary>
    private static TerminalSize Current()
    {
        if (Stty.ReadSize() is { IsValid: true } size)
        {
            return size;
        }

        try
        {
            return new TerminalSize(Console.WindowWidth, Console.WindowHeight);
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
            return default;
        }
    }

    private sealed class NoMode : IDisposable
    {
        public static readonly NoMode Instance = new();

        public void Dispose()
        {
        }
    }
}
