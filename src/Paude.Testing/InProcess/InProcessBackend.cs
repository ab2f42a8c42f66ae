using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// A session backend without containers, for fast unit tests of code built on Paude. A session is a folder under
/// <see cref="InProcessBackendOptions.RootDirectory"/> (<see cref="GetSessionFolder"/>); exec runs real local
/// processes in its <c>workspace/</c> with the session's environment; the file channel reads and writes that folder
/// through the SDK's safe tar extractor. Sessions live as long as this backend object.
/// </summary>
/// <remarks>
/// <para><b>Not a sandbox.</b> Processes run on the host as the test's own user, with the host's network and file
/// system: no isolation, no egress proxy (the allow-list is stored, never enforced; no request is ever blocked), no
/// user switch (<see cref="SessionSpec.User"/> and <see cref="ProcessSpec.User"/> are ignored), no resource limits,
/// no images. Use it only in tests, with commands the test wrote.</para>
/// <para>Paths given to the backend (working directories, the file channel) are host paths inside the session's
/// folder; anything else, or a path through a symbolic link, is refused. Processes see
/// <c>PAUDE_WORKSPACE</c>, <c>HOME</c> and <c>TMPDIR</c> pointing into the folder, the spec's environment and the
/// host's <c>PATH</c>, nothing else of the test runner's environment. Port forwarding relays through local
/// processes (bash <c>/dev/tcp</c>) to the host's loopback; <see cref="AttachAsync"/> is not supported.</para>
/// </remarks>
// Unix only (file modes, bash, /proc): the constructor refuses Windows, so callers need no platform guard of their own.
#pragma warning disable CA1416
public sealed class InProcessBackend : ISessionBackend, IAsyncDisposable
{
    // One job each: the table holds the sessions and their lock, the lifecycle creates/starts/stops/deletes them, exec
    // runs their local processes, the file channel moves tar streams in and out of their folders.
    private readonly SessionTable _sessions;
    private readonly SessionLifecycle _lifecycle;
    private readonly LocalExec _exec;
    private readonly SessionFileChannel _files;

    internal InProcessBackend(string name, InProcessBackendOptions options, TimeProvider time, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The in-process backend runs on Linux and macOS only (Unix file modes, bash).");
        }

        Name = name;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.RootDirectory));
        _sessions = new SessionTable(name);
        _exec = new LocalExec(options.RunAgentCommand, logger);
        _lifecycle = new SessionLifecycle(root, _sessions, _exec, time, logger);
        _files = new SessionFileChannel(_sessions);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// The host folder of session <paramref name="name"/>: <c>workspace/</c> (the working directory of its processes),
    /// <c>home/</c> and <c>tmp/</c>. The folder exists while the session does.
    /// </summary>
    public string GetSessionFolder(SessionName name) => _lifecycle.Folder(name).Root;

    /// <inheritdoc />
    public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_lifecycle.Create(spec));
    }

    /// <inheritdoc />
    public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_lifecycle.Start(name));
    }

    /// <inheritdoc />
    public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_lifecycle.Stop(name));
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_lifecycle.Delete(name));
    }

    /// <inheritdoc />
    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sessions.TryGetInfo(name));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionInfo> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var info in _sessions.List())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return info;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<ISessionProcess> StartProcessAsync(SessionName name, ProcessSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_sessions.FindRunning(name, session => _exec.Start(session, spec)));
    }

    /// <inheritdoc />
    public Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default) =>
        _files.UploadAsync(name, containerDirectory, tarArchive, cancellationToken);

    /// <inheritdoc />
    public Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default) =>
        _files.DownloadAsync(name, containerDirectory, readArchive, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The in-process backend stores the allow-list; nothing enforces it.</remarks>
    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_sessions.Find(name, session => session.Egress));

    /// <inheritdoc />
    /// <remarks>The in-process backend stores the allow-list; nothing enforces it.</remarks>
    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _sessions.Find(name, session => session.Egress = policy);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Always empty: there is no proxy that could refuse a request.</remarks>
    public async IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _sessions.Find(name, session => session); // an unknown session is still refused
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }

    /// <summary>
    /// Ends every process of every session, as <see cref="StopAsync"/> does; the session folders stay (the test owns
    /// the root). The DI container calls it when it is disposed, so a test that forgets to delete a session leaves no
    /// process running.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        _lifecycle.StopAll();
        return ValueTask.CompletedTask;
    }

    /// <summary>Not supported: an in-process session has no terminal to attach to.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"The in-process backend '{Name}' has no terminal to attach to; run commands with ExecAsync.");
}
#pragma warning restore CA1416
