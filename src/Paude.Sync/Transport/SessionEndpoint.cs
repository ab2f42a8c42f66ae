using Paude.Sessions;

namespace Paude.Sync.Transport;

/// <summary>
/// One git remote inside a session for the duration of one operation: which backend, session and repository path
/// the <see cref="ExecSmartSubtransport"/> connects to, the caller's cancellation, how long one read or write may
/// make no progress (<see cref="SyncOptions.StreamIdleTimeout"/>) and what went wrong.
/// </summary>
internal sealed class SessionEndpoint(ISessionBackend backend, SessionName session, string repositoryPath, TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
{
    private long _bytes;

    public ISessionBackend Backend { get; } = backend;

    public SessionName Session { get; } = session;

    public string RepositoryPath { get; } = repositoryPath;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>How long one read or write of the pack stream may make no progress before the transfer fails.</summary>
    public TimeSpan Idle { get; } = idle;

    public TimeProvider Time { get; } = time;

    /// <summary>Pack-protocol bytes that crossed the channel (both directions).</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>
    /// The real error of the transport. LibGit2Sharp loses exception messages thrown inside a stream's
    /// Read/Write, so the caller rethrows this one instead of libgit2's generic error.
    /// </summary>
    public Exception? Failure { get; set; }

    /// <summary>Set when the remote process failed; its stderr (trimmed), for the error message.</summary>
    public string? RemoteError { get; set; }

    public void AddBytes(long count) => Interlocked.Add(ref _bytes, count);
}
