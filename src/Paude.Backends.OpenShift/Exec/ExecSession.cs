using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// One process started through the Kubernetes exec WebSocket, demultiplexed by hand: each binary message starts
/// with its channel (0 stdin, 1 stdout, 2 stderr, 3 status, 255 close — v5 only). Output goes through bounded
/// channels, so nothing is buffered whole; the exit code comes from the channel-3 Status. When the server speaks
/// only v4 (no way to close stdin), stdin is sent in length-prefixed frames that a tiny script in the container
/// decodes, ending with a zero-length frame (see <see cref="ExecCommand.Frame"/>).
/// </summary>
internal sealed class ExecSession : ISessionProcess
{
    private const byte StdinChannel = 0;
    private const byte StdoutChannel = 1;
    private const byte StderrChannel = 2;
    private const byte StatusChannel = 3;
    private const byte ResizeChannel = 4;
    private const byte CloseChannel = 255;
    // 32 KiB, the chunk kubectl's own stdin copy uses: 64 KiB frames (65,537 bytes with the channel byte) were
    // measured to corrupt a 50 MiB upload through the test server's exec (issue 6 benchmark), while 32 KiB frames
    // never did; no server is known to need more, and the throughput is the same.
    private const int MaxFrame = 32 * 1024;
    private const int MaxStatusBytes = 64 * 1024;

    private readonly WebSocket _socket;
    private readonly string _what;
    private readonly Channel<ReadOnlyMemory<byte>> _stdout = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private readonly Channel<ReadOnlyMemory<byte>> _stderr = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(64) { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly MemoryStream _status = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly Task<int> _exit;
    private bool _stdinClosed;

    public ExecSession(WebSocket socket, bool framedStdin, bool redirectStdin, string what)
    {
        _socket = socket;
        _what = what;
        IsV5 = socket.SubProtocol == k8s.WebSocketProtocol.V5BinaryWebsocketProtocol;
        FramedStdin = framedStdin;
        StandardOutput = new ChannelReaderStream(_stdout.Reader);
        StandardError = new ChannelReaderStream(_stderr.Reader);
        StandardInput = redirectStdin ? new ExecStdinStream(this) : Stream.Null;
        // Without redirection the exec was opened with stdin=false: the process reads end-of-file at once.
        _stdinClosed = !redirectStdin;
        _exit = Task.Run(() => PumpAsync(_abort.Token));
    }

    /// <summary>Whether the server accepted <c>v5.channel.k8s.io</c> (stdin can be closed).</summary>
    public bool IsV5 { get; }

    /// <summary>Whether stdin goes through the v4 framing script.</summary>
    public bool FramedStdin { get; }

    public Stream StandardInput { get; }

    public Stream StandardOutput { get; }

    public Stream StandardError { get; }

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default) =>
        await _exit.WaitAsync(cancellationToken).ConfigureAwait(false);

    internal async ValueTask WriteStdinAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var chunk = data[..Math.Min(data.Length, MaxFrame)];
            data = data[chunk.Length..];
            if (FramedStdin)
            {
                var header = Encoding.ASCII.GetBytes(chunk.Length.ToString(CultureInfo.InvariantCulture) + "\n");
                var framed = new byte[header.Length + chunk.Length];
                header.CopyTo(framed, 0);
                chunk.CopyTo(framed.AsMemory(header.Length));
                await SendAsync(StdinChannel, framed, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendAsync(StdinChannel, chunk, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    internal async ValueTask CloseStdinAsync(CancellationToken cancellationToken)
    {
        if (_stdinClosed)
        {
            return;
        }

        _stdinClosed = true;
        try
        {
            if (FramedStdin)
            {
                await SendAsync(StdinChannel, "0\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            }
            else if (IsV5)
            {
                await SendAsync(CloseChannel, new byte[] { StdinChannel }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or BackendOperationException)
        {
            // The process already ended; its exit status tells the caller what happened.
        }
    }

    /// <summary>Sends a terminal size on the resize channel (TTY sessions; the server ignores it otherwise).</summary>
    internal async ValueTask ResizeAsync(int width, int height, CancellationToken cancellationToken) =>
        await SendAsync(ResizeChannel, Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"Width\":{width},\"Height\":{height}}}")), cancellationToken).ConfigureAwait(false);

    private async Task SendAsync(byte channel, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message.AsMemory(1));
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_socket.State != WebSocketState.Open)
            {
                throw new BackendOperationException($"The exec stream of {_what} is closed; the process has ended or its pod went away.");
            }

            await _socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task<int> PumpAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFrame + 1];
        Exception? fault = null;
        try
        {
            while (true)
            {
                var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await AnswerCloseAsync().ConfigureAwait(false);
                        return ExitCode();
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                await DispatchAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            fault = _status.Length > 0 ? null : new BackendOperationException($"The exec stream of {_what} broke before the process ended (did its pod go away?): {e.Message}", e);
            if (fault is null)
            {
                return ExitCode();
            }

            throw fault;
        }
        finally
        {
            _stdout.Writer.TryComplete(fault);
            _stderr.Writer.TryComplete(fault);
        }
    }

    /// <summary>Completes the close handshake, so the server can end the connection cleanly instead of resetting it.</summary>
    private async Task AnswerCloseAsync()
    {
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_socket.State == WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The server already went; the status (if any) was read before.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task DispatchAsync(MemoryStream message, CancellationToken cancellationToken)
    {
        if (message.Length == 0)
        {
            return;
        }

        var bytes = message.GetBuffer().AsMemory(0, (int)message.Length);
        var channel = bytes.Span[0];
        var payload = bytes[1..];
        switch (channel)
        {
            case StdoutChannel when payload.Length > 0:
                await ForwardAsync(_stdout.Writer, payload, cancellationToken).ConfigureAwait(false);
                break;
            case StderrChannel when payload.Length > 0:
                await ForwardAsync(_stderr.Writer, payload, cancellationToken).ConfigureAwait(false);
                break;
            case StatusChannel when _status.Length + payload.Length <= MaxStatusBytes:
                _status.Write(payload.Span);
                break;
            case CloseChannel when payload.Length > 0:
                if (payload.Span[0] == StdoutChannel)
                {
                    _stdout.Writer.TryComplete();
                }
                else if (payload.Span[0] == StderrChannel)
                {
                    _stderr.Writer.TryComplete();
                }

                break;
        }
    }

    /// <summary>
    /// Passes a chunk on, or drops it when the server already closed that channel (channel 255): a server that keeps
    /// sending after its own close must not fault the whole exec (found by fuzzing: WriteAsync threw
    /// ChannelClosedException out of the pump).
    /// </summary>
    private static async ValueTask ForwardAsync(ChannelWriter<ReadOnlyMemory<byte>> writer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        while (await writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
        {
            if (writer.TryWrite(payload))
            {
                return;
            }
        }
    }

    private int ExitCode()
    {
        if (_status.Length == 0)
        {
            throw new BackendOperationException($"The exec stream of {_what} ended without an exit status (did its pod go away?).");
        }

        return ParseStatus(Encoding.UTF8.GetString(_status.GetBuffer(), 0, (int)_status.Length), _what);
    }

    /// <summary>Reads the exit code out of the channel-3 <c>Status</c> (Success → 0, NonZeroExitCode → its code).</summary>
    internal static int ParseStatus(string json, string what)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var status = root.TryGetProperty("status", out var s) ? s.GetString() : null;
            if (status == "Success")
            {
                return 0;
            }

            if (root.TryGetProperty("reason", out var reason) && reason.GetString() == "NonZeroExitCode" &&
                root.TryGetProperty("details", out var details) && details.TryGetProperty("causes", out var causes))
            {
                foreach (var cause in causes.EnumerateArray())
                {
                    if (cause.TryGetProperty("reason", out var r) && r.GetString() == "ExitCode" &&
                        cause.TryGetProperty("message", out var m) &&
                        int.TryParse(m.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var code))
                    {
                        return code;
                    }
                }
            }

            var message = root.TryGetProperty("message", out var msg) ? msg.GetString() : json;
            throw new BackendOperationException($"Exec in {what} failed: {message}");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // v1-style servers send the error text itself; valid JSON of other shapes (a number, "status": {...})
            // makes JsonElement throw InvalidOperationException and is reported the same way (found by fuzzing).
            throw new BackendOperationException($"Exec in {what} failed: {(json.Length > 300 ? json[..300] : json)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exit.IsCompleted)
        {
            // Killing the process: closing the stream makes the kubelet end the exec session.
            await _abort.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await _exit.ConfigureAwait(false);
        }
        catch (Exception e) when (e is PaudeException or OperationCanceledException)
        {
            // Disposal of a killed or broken process; the caller chose not to wait for its status.
        }

        _socket.Abort();
        _socket.Dispose();
        _abort.Dispose();
        _sendLock.Dispose();
    }
}
