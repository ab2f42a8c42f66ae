using System.Net;

namespace Paude.Forwarding;

/// <summary>
/// A running port forward (see <see cref="Sessions.ISessionBackend.ForwardPortAsync"/>). Each accepted local
/// connection gets its own connection into the session; many run at once. Disposing it (or cancelling the token
/// it was started with) closes the listener and every open connection.
/// </summary>
public interface IPortForward : IAsyncDisposable
{
    /// <summary>The bound local address and port (the real port when 0 was asked for).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>The port inside the session.</summary>
    int SessionPort { get; }

    /// <summary>Completes when the listener has closed (disposed or cancelled).</summary>
    Task Completion { get; }
}
