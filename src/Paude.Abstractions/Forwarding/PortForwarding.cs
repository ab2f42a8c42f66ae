using Microsoft.Extensions.Logging;
using Paude.Sessions;

namespace Paude.Forwarding;

/// <summary>
/// The building blocks the built-in backends use for <see cref="ISessionBackend.ForwardPortAsync"/>, public so that a
/// third-party backend forwards ports the same way: the local listener, and the relay through the exec channel.
/// </summary>
public static class PortForwarding
{
    /// <summary>
    /// Listens on <paramref name="spec"/>'s local address and, for each accepted connection, opens one connection into
    /// the session with <paramref name="connect"/> and copies bytes both ways until both sides are done. A connection
    /// that fails to open or breaks ends alone; the listener keeps accepting until disposed or cancelled.
    /// </summary>
    /// <param name="spec">The validated forward: local address/port and the session's port.</param>
    /// <param name="connect">Opens one connection to the session's port.</param>
    /// <param name="logger">Logs connections that fail; null logs nothing.</param>
    /// <param name="cancellationToken">Closes the listener and every open connection.</param>
    /// <returns>The running forward.</returns>
    public static IPortForward Listen(PortForwardSpec spec, Func<CancellationToken, Task<SessionConnection>> connect, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(connect);
        spec.Validate();
        return PortForwardListener.Start(spec, connect, logger, cancellationToken);
    }

    /// <summary>
    /// The argument vector of the relay that runs inside a session (bash's <c>/dev/tcp</c> and perl) for one forwarded
    /// connection: stdin's bytes go to <c>127.0.0.1:</c><paramref name="port"/>, the port's bytes come out on stdout,
    /// the end of stdin reaches the port's server as a half-close, and the relay exits when that server closes.
    /// </summary>
    /// <param name="port">The session's port.</param>
    /// <returns>The command to run in the session (for example through <c>podman exec -i</c>).</returns>
    public static IReadOnlyList<string> RelayCommand(int port) => PortRelayScript.Command(port);
}
