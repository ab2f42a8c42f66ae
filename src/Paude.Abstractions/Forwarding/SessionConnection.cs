namespace Paude.Forwarding;

/// <summary>
/// One byte stream to a port inside a session, as a backend opened it: <see cref="ToSession"/> carries what the
/// local client sends, <see cref="FromSession"/> what the session's server answers (end of stream = it closed).
/// A backend that has its own way into the session's network (the Kubernetes port-forward API) derives from this and
/// hands a factory of them to <see cref="PortForwarding.Listen"/>.
/// </summary>
public abstract class SessionConnection : IAsyncDisposable
{
    /// <summary>The stream towards the session's port: what the local client sent.</summary>
    public abstract Stream ToSession { get; }

    /// <summary>The stream from the session's port: what its server answered; its end means the server closed.</summary>
    public abstract Stream FromSession { get; }

    /// <summary>The local client will send nothing more (its half-close); the backend passes it on if it can.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the half-close was passed on (or could not be).</returns>
    public abstract ValueTask CompleteSendingAsync(CancellationToken cancellationToken);

    /// <summary>Closes the connection in both directions.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public abstract ValueTask DisposeAsync();
}
