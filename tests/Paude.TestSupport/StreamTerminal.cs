using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Paude.Sessions;

namespace Paude.TestSupport;

/// <summary>
/// An <see cref="IAttachTerminal"/> made of pipes, as an embedding application would write one: keys are written
/// with <see cref="TypeAsync"/>, the screen is collected as text, sizes are pushed with <see cref="Resize"/>, and raw
/// mode is counted. Used by the attach tests of both backends.
/// </summary>
public sealed class StreamTerminal : IAttachTerminal, IDisposable
{
    private readonly Pipe _keys = new();
    private readonly Channel<TerminalSize> _sizes = Channel.CreateUnbounded<TerminalSize>();
    private readonly ScreenStream _screen = new();

    /// <summary>A terminal whose first reported size is <paramref name="initial"/>.</summary>
    public StreamTerminal(TerminalSize initial)
    {
        Input = _keys.Reader.AsStream();
        _sizes.Writer.TryWrite(initial);
    }

    /// <inheritdoc />
    public Stream Input { get; }

    /// <inheritdoc />
    public Stream Output => _screen;

    /// <summary>How often raw mode was entered.</summary>
    public int RawEntered { get; private set; }

    /// <summary>How often raw mode was left again.</summary>
    public int RawRestored { get; private set; }

    /// <summary>Everything written to the screen so far.</summary>
    public string Screen => _screen.Text;

    /// <summary>Types <paramref name="keys"/> (UTF-8).</summary>
    public async Task TypeAsync(string keys)
    {
        await _keys.Writer.WriteAsync(Encoding.UTF8.GetBytes(keys));
        await _keys.Writer.FlushAsync();
    }

    /// <summary>Ends the input (as a closed pipe would).</summary>
    public Task EndInputAsync() => _keys.Writer.CompleteAsync().AsTask();

    /// <summary>Reports a new size.</summary>
    public void Resize(int width, int height) => _sizes.Writer.TryWrite(new TerminalSize(width, height));

    /// <summary>Presses Enter until <paramref name="expected"/> shows on the screen (for commands that print on each line read).</summary>
    public async Task PressEnterUntilAsync(string expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Screen.Contains(expected, StringComparison.Ordinal))
        {
            ThrowIfLate(deadline, expected);
            await TypeAsync("\n");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until <paramref name="expected"/> shows on the screen.</summary>
    public async Task WaitForAsync(string expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Screen.Contains(expected, StringComparison.Ordinal))
        {
            ThrowIfLate(deadline, expected);
            await Task.Delay(100);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<TerminalSize> SizesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var size in _sizes.Reader.ReadAllAsync(cancellationToken))
        {
            yield return size;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _keys.Writer.Complete();
        _screen.Dispose();
    }

    /// <inheritdoc />
    public IDisposable EnterRawMode()
    {
        RawEntered++;
        return new Restore(this);
    }

    private void ThrowIfLate(CancellationTokenSource deadline, string expected)
    {
        if (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"'{expected}' never showed; screen:\n{Screen}");
        }
    }

    private sealed class Restore(StreamTerminal terminal) : IDisposable
    {
        public void Dispose() => terminal.RawRestored++;
    }

    private sealed class ScreenStream : Stream
    {
        private readonly StringBuilder _text = new();

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (_text)
            {
                _text.Append(Encoding.UTF8.GetString(buffer, offset, count));
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
