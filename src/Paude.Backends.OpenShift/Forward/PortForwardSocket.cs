using System.Net.WebSockets;
using System.Text;
using Paude.Forwarding;

namespace Paude.Backends.OpenShift.Forward;

/// <summary>
/// One connection to a pod port through the Kubernetes port-forward WebSocket (<c>v4.channel.k8s.io</c>, one port
/// per socket): every message starts with its channel, 0 = data, 1 = error; the server's first 2 bytes on each
/// channel are the port (little-endian) and are skipped. Data is sent in 32 KiB frames (as exec stdin is).
/// The protocol has no half-close: the client's end is a WebSocket Close, after which the answer may still
/// arrive until the server closes. Error-channel text (e.g. nothing listens on the port) ends the stream like
/// a closed connection and is kept in <see cref="Error"/>.
/// </summary>
internal sealed class PortForwardSocket : SessionConnection
{
    internal const int MaxFrame = 32 * 1024;
    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;

    private readonly WebSocket _socket;
    private readonly byte[] _receive = new byte[MaxFrame + 1];
    private readonly StringBuilder _error = new();
    private int _dataPrefixLeft = 2;
    private int _errorPrefixLeft = 2;
    private bool _messageStart = true;
    private byte _channel;
    private int _pending;
    private int _pendingOffset;
    private bool _ended;

    public PortForwardSocket(WebSocket socket)
    {
        _socket = socket;
        ToSession = new PortForwardWriteStream(SendAsync);
        FromSession = new PortForwardReadStream(ReadAsync);
    }

    public override Stream ToSession { get; }

    public override Stream FromSession { get; }

    /// <summary>What the server said on the error channel, if anything.</summary>
    public string Error => _error.ToString();

    public override async ValueTask CompleteSendingAsync(CancellationToken cancellationToken)
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
        }
    }

    public override ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var frame = new byte[Math.Min(data.Length, MaxFrame) + 1];
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, MaxFrame)];
            data = data[chunk.Length..];
            frame[0] = DataChannel;
            chunk.CopyTo(frame.AsMemory(1));
            await _socket.SendAsync(frame.AsMemory(0, chunk.Length + 1), WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The next data bytes of the port; 0 once the server closed (or wrote an error).</summary>
    private async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_pending > 0)
            {
                var n = Math.Min(_pending, destination.Length);
                _receive.AsMemory(_pendingOffset, n).CopyTo(destination);
                _pending -= n;
                _pendingOffset += n;
                return n;
            }

            if (_ended)
            {
                return 0;
            }

            var result = await _socket.ReceiveAsync(_receive, cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _ended = true;
                continue;
            }

            var offset = 0;
            if (_messageStart && result.Count > 0)
            {
                _channel = _receive[0];
                offset = 1;
            }

            _messageStart = result.EndOfMessage;
            var count = result.Count - offset;
            if (_channel == DataChannel)
            {
                var skip = Math.Min(_dataPrefixLeft, count);
                _dataPrefixLeft -= skip;
                _pendingOffset = offset + skip;
                _pending = count - skip;
            }
            else if (_channel == ErrorChannel)
            {
                var skip = Math.Min(_errorPrefixLeft, count);
                _errorPrefixLeft -= skip;
                if (count > skip)
                {
                    _error.Append(Encoding.UTF8.GetString(_receive, offset + skip, count - skip));
                    _ended = true;
                }
            }
        }
    }
}
