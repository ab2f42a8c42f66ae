using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;

namespace Paude.Backends.OpenShift.Attach;

/// <summary>
/// The process's own console as an attach terminal. When stdin is a terminal, input and output are read and written
/// on file descriptors 0 and 1 directly, unbuffered (System.Console's stdin stream on a terminal edits lines itself,
/// which would swallow the very keys raw mode lets through), sizes come from <see cref="Console.WindowWidth"/> and
/// <see cref="Console.WindowHeight"/> at start and on every SIGWINCH, and raw mode is available. Otherwise the
/// bytes are just pumped: no size, no raw mode.
/// </summary>
internal sealed class ConsoleTerminal : IAttachTerminal, IDisposable
{
    // Windows consoles are pumped only (no stty, no SIGWINCH); Unix terminals get the full treatment.
    private readonly bool _isTerminal = !OperatingSystem.IsWindows() && !Console.IsInputRedirected;
    private readonly Channel<TerminalSize> _sizes = Channel.CreateBounded<TerminalSize>(
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

        _resized ??= PosixSignalRegistration.Create(PosixSignal.SIGWINCH, _ => _sizes.Writer.TryWrite(Current()));
        yield return Current();
        while (await _sizes.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_sizes.Reader.TryRead(out var size))
            {
                yield return size;
            }
        }
    }

    public IDisposable EnterRawMode() => (_isTerminal ? TerminalMode.EnterRaw() : null) ?? (IDisposable)NoMode.Instance;

    public void Dispose()
    {
        _resized?.Dispose();
        _sizes.Writer.TryComplete();
        Input.Dispose();
        Output.Dispose();
    }

    private static TerminalSize Current()
    {
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
