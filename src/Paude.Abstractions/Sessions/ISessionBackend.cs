using Paude.Egress;
using Paude.Execution;
using Paude.Forwarding;

namespace Paude.Sessions;

/// <summary>
/// The session contract every backend implements: one code path for the whole session lifecycle, exec,
/// file channel and egress control. All operations are async, cancellable and throw typed
/// <see cref="Errors.PaudeException"/>s. Sessions are discovered from the live backend by labels, so a second
/// process sees the same sessions.
/// </summary>
public interface ISessionBackend
{
    /// <summary>The name this backend is registered under (e.g. <c>podman</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Validates <paramref name="spec"/>, creates every resource of the session and starts it. On any failure,
    /// removes what it created. Throws <see cref="Errors.SessionAlreadyExistsException"/> when the session exists.
    /// </summary>
    Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Starts a stopped session (and repairs a missing proxy). Idempotent.</summary>
    Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>Stops the agent and its proxy, keeping the workspace volume. Idempotent.</summary>
    Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes every resource of the session and verifies they are gone. Idempotent: returns <c>false</c> when
    /// there was nothing to delete.
    /// </summary>
    Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>Reads one session from the live backend, or <c>null</c> when it does not exist.</summary>
    Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>Lists every session of this backend.</summary>
    IAsyncEnumerable<SessionInfo> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts a process in the session's agent container with streaming stdin/stdout/stderr. The command is an
    /// argument vector, never a shell string. Requires a running session.
    /// </summary>
    Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// Unpacks the tar archive read from <paramref name="tarArchive"/> into <paramref name="containerDirectory"/>
    /// (created when missing), streaming: the archive is never buffered whole.
    /// </summary>
    Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams a tar archive of <paramref name="containerDirectory"/> (its contents, relative paths) to
    /// <paramref name="readArchive"/>. The content comes from the container and is untrusted.
    /// </summary>
    Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default);

    /// <summary>Reads the session's current egress allow-list.</summary>
    Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>Replaces the egress allow-list of a session; a running proxy picks it up without a restart of the agent.</summary>
    Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default);

    /// <summary>Reads the requests the session's proxy refused, oldest first.</summary>
    IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Attaches <paramref name="terminal"/> to the agent's tmux session over a pseudo-terminal in the session and
    /// returns when the user detaches (or the attach process ends), with its exit code. The terminal is in raw mode
    /// for the whole attach (restored on every path) and each size it reports is applied to the session's terminal.
    /// Requires a running session.
    /// </summary>
    /// <param name="name">The session.</param>
    /// <param name="terminal">The local terminal: a console host's own, or an embedding application's streams.</param>
    /// <param name="cancellationToken">Ends the attach (the session keeps running).</param>
    Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default);

    /// <summary>
    /// Re-creates the session's containers/pods on the images and spec of <paramref name="upgrade"/> (limits, environment,
    /// allow-list, agent command, a bigger workspace where the storage can grow; what it leaves <c>null</c> stays) while
    /// the workspace volume/PVC, the agent's state under <c>/pvc/.agent</c> and the sync records stay; credentials are
    /// delivered again. The session runs afterwards. Crash-safe: the target is recorded on the
    /// session first, every step after that is idempotent, so a rerun after a kill at any point finishes the upgrade
    /// (a pending upgrade is always finished before a new one starts), and the session stays listed and deletable.
    /// </summary>
    /// <exception cref="Errors.InvalidOptionsException">The upgrade is invalid or asks for what the backend cannot do (every problem listed); nothing changed.</exception>
    /// <exception cref="Errors.SessionNotFoundException">The session does not exist.</exception>
    /// <exception cref="Sync.SessionSyncInProgressException">A sync of the session is running on this machine (or, for a backend that implements <see cref="ISessionSyncExclusion"/>, anywhere); nothing changed.</exception>
    /// <exception cref="NotSupportedException">The backend cannot upgrade sessions (the default).</exception>
    Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"Backend '{Name}' cannot upgrade sessions in place; delete and create the session instead.");

    /// <summary>
    /// Forwards a local port to <see cref="PortForwardSpec.SessionPort"/> on the session's loopback: listens on
    /// <see cref="PortForwardSpec.BindAddress"/> (loopback by default) and gives each accepted connection its own
    /// connection into the session, many at once. The session's sandbox gains no listening port anywhere; the only
    /// listener is this local one. Runs until the returned forward is disposed or <paramref name="cancellationToken"/>
    /// is cancelled. Requires a running session.
    /// </summary>
    /// <remarks>
    /// The default relays each connection through the exec channel (<see cref="PortRelayScript"/>: bash in the
    /// agent container); a backend with a native forwarding API (Kubernetes) uses that instead.
    /// </remarks>
    /// <exception cref="Errors.InvalidPortForwardException">The spec is invalid (every problem listed).</exception>
    Task<IPortForward> ForwardPortAsync(SessionName name, PortForwardSpec spec, CancellationToken cancellationToken = default) =>
        ExecRelayForward.StartAsync(this, name, spec, logger: null, cancellationToken);
}
