using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Paude.Backends.OpenShift.Attach;
using Paude.Backends.OpenShift.Exec;

namespace Paude.Backends.OpenShift.Tests.Attach;

/// <summary>
/// A terminal made of streams for driving the attach core: keys are written with <see cref="TypeAsync"/>, the
/// screen is collected as text, sizes are pushed with <see cref="Resize"/>, and raw mode is counted.
/// </summary>
internal sealed class StreamTerminal : IAttachTerminal, IDisposable
{
    private readonly Channel<ReadOnlyMemory<byte>> _keys = Channel.CreateUnbounded<ReadOnlyMemory<byte>>();
    private readonly Channel<TerminalSize> _sizes = Channel.CreateUnbounded<TerminalSize>();
    private readonly ScreenStream _screen = new();

    public StreamTerminal(TerminalSize initial)
    {
        Input = new ChannelReaderStream(_keys.Reader);
        _sizes.Writer.TryWrite(initial);
    }

    public Stream Input { get; }

    public Stream Output => _screen;

    public int RawEntered { get; private set; }

    public int RawRestored { get; private set; }

    public string Screen => _screen.Text;

    public async Task TypeAsync(string keys) => await _keys.Writer.WriteAsync(Encoding.UTF8.GetBytes(keys));

    public void Resize(int width, int height) => _sizes.Writer.TryWrite(new TerminalSize(width, height));

    /// <summary>Presses Enter until <paramref name="expected"/> shows on the screen (the command prints on each line read).</summary>
    public async Task PressEnterUntilAsync(string expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Screen.Contains(expected, StringComparison.Ordinal))
        {
            Assert.False(deadline.IsCancellationRequested, $"'{expected}' never showed; screen:\n{Screen}");
            await TypeAsync("\n");
            await Task.Delay(200);
        }
    }

    public async Task WaitForAsync(string expected, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!Screen.Contains(expected, StringComparison.Ordinal))
        {
            Assert.False(deadline.IsCancellationRequested, $"'{expected}' never showed; screen:\n{Screen}");
            await Task.Delay(100);
        }
    }

    public async IAsyncEnumerable<TerminalSize> SizesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var size in _sizes.Reader.ReadAllAsync(cancellationToken))
        {
            yield return size;
        }
    }

    public void Dispose() => _screen.Dispose();

    public IDisposable EnterRawMode()
    {
        RawEntered++;
        return new Restore(this);
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
