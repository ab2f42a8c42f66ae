using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Paude.Forwarding;

/// <summary>
/// The local side of every port forward: listens on the asked address, and for each accepted connection opens a
/// connection into the session (through the backend's <c>connect</c>) and copies bytes both ways until both
/// sides are done. A connection that fails to open or breaks ends alone; the listener keeps accepting.
/// </summary>
internal sealed partial class PortForwardListener : IPortForward
{
    // Large enough for bulk transfers in few calls, small enough for 100s of connections at once.
    private const int BufferSize = 64 * 1024;

    private readonly Socket _listener;
    private readonly Func<CancellationToken, Task<SessionConnection>> _connect;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly ConcurrentDictionary<int, Task> _relays = new();
    private readonly Task _accepting;
    private int _nextId;

    private PortForwardListener(Socket listener, int sessionPort, Func<CancellationToken, Task<SessionConnection>> connect, ILogger logger, CancellationToken cancellationToken)
    {
        _listener = listener;
        SessionPort = sessionPort;
        _connect = connect;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _accepting = AcceptLoopAsync(_stop.Token);
        Completion = CloseAfterAsync();
    }

    public IPEndPoint LocalEndPoint { get; }

    public int SessionPort { get; }

    public Task Completion { get; }

    /// <summary>Binds <paramref name="spec"/>'s address and port and starts accepting.</summary>
    public static IPortForward Start(PortForwardSpec spec, Func<CancellationToken, Task<SessionConnection>> connect, ILogger? logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(spec.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(spec.BindAddress, spec.LocalPort));
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new Errors.BackendOperationException($"Cannot listen on {spec.BindAddress}:{spec.LocalPort} for the port forward: {e.Message}", e);
        }

        return new PortForwardListener(socket, spec.SessionPort, connect, logger ?? NullLogger.Instance, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Completion.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task CloseAfterAsync()
    {
        try
        {
            await _accepting.ConfigureAwait(false);
        }
        finally
        {
            _listener.Dispose();
            await Task.WhenAll(_relays.Values).ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        await Task.Yield();
        while (!ct.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, LocalEndPoint.Port, e.SocketErrorCode);
                continue;
            }

            var id = Interlocked.Increment(ref _nextId);
            var relay = RelayAsync(client, ct);
            _relays[id] = relay;
            _ = relay.ContinueWith(_ => _relays.TryRemove(id, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken stop)
    {
        await Task.Yield();
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var ct = abort.Token;
        using (client)
        {
            client.NoDelay = true;
            SessionConnection connection;
            try
            {
                connection = await _connect(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stop.IsCancellationRequested)
            {
                // The session refused or is gone: this client gets a closed connection, the next may fare better.
                LogConnectFailed(_logger, SessionPort, e);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await using (connection.ConfigureAwait(false))
            {
                var up = CopyUpAsync(client, connection, ct);
                var down = CopyDownAsync(connection, client, ct);
                try
                {
                    // Either direction failing (reset, broken pipe) ends the connection: the other side cannot be served.
                    var first = await Task.WhenAny(up, down).ConfigureAwait(false);
                    if (first.IsFaulted)
                    {
                        await abort.CancelAsync().ConfigureAwait(false);
                    }

                    await Task.WhenAll(up, down).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or Errors.PaudeException)
                {
                    await abort.CancelAsync().ConfigureAwait(false);
                    LogConnectionEnded(_logger, SessionPort, e);
                }
            }
        }
    }

    private static async Task CopyUpAsync(Socket client, SessionConnection connection, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false)) > 0)
        {
            await connection.ToSession.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            await connection.ToSession.FlushAsync(ct).ConfigureAwait(false);
        }

        await connection.CompleteSendingAsync(ct).ConfigureAwait(false);
    }

    private static async Task CopyDownAsync(SessionConnection connection, Socket client, CancellationToken ct)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await connection.FromSession.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var sent = 0;
            while (sent < n)
            {
                sent += await client.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, ct).ConfigureAwait(false);
            }
        }

        // The session's server closed: pass the end on; the client closes its side when it has read everything.
        client.Shutdown(SocketShutdown.Send);
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Port forward on local port {Port}: accepting failed ({Error})")]
    private static partial void LogAcceptFailed(ILogger logger, int port, SocketError error);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Port forward to session port {Port}: opening the connection into the session failed")]
    private static partial void LogConnectFailed(ILogger logger, int port, Exception exception);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "Port forward to session port {Port}: a connection ended abruptly")]
    private static partial void LogConnectionEnded(ILogger logger, int port, Exception exception);
}
