namespace Paude.Forwarding;

/// <summary>
/// One byte stream to a port inside a session, as a backend opened it: <see cref="ToSession"/> carries what the
/// local client sends, <see cref="FromSession"/> what the session's server answers (end of stream = it closed).
/// </summary>
internal abstract class SessionConnection : IAsyncDisposable
{
    public abstract Stream ToSession { get; }

    public abstract Stream FromSession { get; }

    /// <summary>The local client will send nothing more (its half-close); the backend passes it on if it can.</summary>
    public abstract ValueTask CompleteSendingAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}
