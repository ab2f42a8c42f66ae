using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Paude.Egress;
using Paude.Errors;
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
    private readonly Lock _lock = new();
    private readonly Dictionary<SessionName, InProcessSession> _sessions = [];
    private readonly string _root;
    private readonly bool _runAgent;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    internal InProcessBackend(string name, InProcessBackendOptions options, TimeProvider time, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The in-process backend runs on Linux and macOS only (Unix file modes, bash).");
        }

        Name = name;
        _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.RootDirectory));
        _runAgent = options.RunAgentCommand;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>
    /// The host folder of session <paramref name="name"/>: <c>workspace/</c> (the working directory of its processes),
    /// <c>home/</c> and <c>tmp/</c>. The folder exists while the session does.
    /// </summary>
    public string GetSessionFolder(SessionName name) => new SessionFolder(_root, name).Root;

    /// <inheritdoc />
    public Task<SessionInfo> CreateAsync(SessionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var name = spec.ResolveName();
        var folder = new SessionFolder(_root, name);
        lock (_lock)
        {
            if (_sessions.ContainsKey(name) || Directory.Exists(folder.Root))
            {
                throw new SessionAlreadyExistsException(name.Value, Name);
            }

            folder.Create();
            var session = new InProcessSession(name, spec, folder, _time.GetUtcNow());
            _sessions[name] = session;
            try
            {
                StartLocked(session);
            }
            catch
            {
                _sessions.Remove(name);
                folder.Delete();
                throw;
            }

            Log.Created(_logger, name.Value, folder.Root);
            return Task.FromResult(session.ToInfo(Name));
        }
    }

    /// <inheritdoc />
    public Task<SessionInfo> StartAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var session = Find(name);
            if (session.Agent is { HasExited: true })
            {
                StopLocked(session);
            }

            if (!session.Running)
            {
                StartLocked(session);
            }

            return Task.FromResult(session.ToInfo(Name));
        }
    }

    /// <inheritdoc />
    public Task<SessionInfo> StopAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var session = Find(name);
            var ended = StopLocked(session);
            Log.Stopped(_logger, name.Value, ended);
            return Task.FromResult(session.ToInfo(Name));
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (!_sessions.Remove(name, out var session))
            {
                return Task.FromResult(false);
            }

            StopLocked(session);
            session.Folder.Delete();
            Log.Deleted(_logger, name.Value);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    public Task<SessionInfo?> GetAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(_sessions.TryGetValue(name, out var session) ? session.ToInfo(Name) : null);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionInfo> ListAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<SessionInfo> infos;
        lock (_lock)
        {
            infos = [.. _sessions.Values.OrderBy(s => s.Name.Value, StringComparer.Ordinal).Select(s => s.ToInfo(Name))];
        }

        foreach (var info in infos)
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
        lock (_lock)
        {
            var session = FindRunning(name);
            var directory = spec.WorkingDirectory is null ? session.Folder.Workspace : session.Folder.Resolve(spec.WorkingDirectory, nameof(spec));
            var environment = Environment(session, spec.Environment);
            Log.ProcessStarted(_logger, name.Value, spec.Command[0]);
            var process = LocalProcess.Start(spec.Command, directory, environment, spec.RedirectStandardInput, p => Forget(session, p));
            if (process is LocalProcess local)
            {
                session.Processes.Add(local);
            }

            return Task.FromResult(process);
        }
    }

    /// <inheritdoc />
    public async Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tarArchive);
        SessionFolder folder;
        string target;
        lock (_lock)
        {
            folder = FindRunning(name).Folder;
            target = folder.Resolve(containerDirectory, nameof(containerDirectory));
        }

        await FolderArchive.ExtractIntoAsync(tarArchive, target, folder.Root, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(readArchive);
        string source;
        lock (_lock)
        {
            source = FindRunning(name).Folder.Resolve(containerDirectory, nameof(containerDirectory));
        }

        if (!Directory.Exists(source))
        {
            throw new BackendOperationException($"Archiving '{containerDirectory}' in session '{name.Value}' failed: it is not a directory.");
        }

        await FolderArchive.WriteAsync(source, readArchive, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>The in-process backend stores the allow-list; nothing enforces it.</remarks>
    public Task<EgressPolicy> GetEgressPolicyAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Find(name).Egress);
        }
    }

    /// <inheritdoc />
    /// <remarks>The in-process backend stores the allow-list; nothing enforces it.</remarks>
    public Task SetEgressPolicyAsync(SessionName name, EgressPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_lock)
        {
            Find(name).Egress = policy;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Always empty: there is no proxy that could refuse a request.</remarks>
    public async IAsyncEnumerable<BlockedRequest> GetBlockedRequestsAsync(SessionName name, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            Find(name);
        }

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
        lock (_lock)
        {
            foreach (var session in _sessions.Values)
            {
                StopLocked(session);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Not supported: an in-process session has no terminal to attach to.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public Task<int> AttachAsync(SessionName name, IAttachTerminal terminal, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"The in-process backend '{Name}' has no terminal to attach to; run commands with ExecAsync.");

    private InProcessSession Find(SessionName name) =>
        _sessions.TryGetValue(name, out var session) ? session : throw new SessionNotFoundException(name.Value, Name);

    private InProcessSession FindRunning(SessionName name)
    {
        var session = Find(name);
        var info = session.ToInfo(Name);
        return info.Status == SessionStatus.Running ? session : throw new SessionNotRunningException(name.Value, info.Status.ToString());
    }

    private void StartLocked(InProcessSession session)
    {
        session.Running = true;
        if (_runAgent)
        {
            var command = session.Spec.ResolveAgentCommand();
            if (LocalProcess.Start(command, session.Folder.Workspace, Environment(session, null), redirectStdin: false, _ => { }) is not LocalProcess agent)
            {
                session.Running = false;
                throw new BackendOperationException($"The agent command '{command[0]}' of in-process session '{session.Name.Value}' could not be started.");
            }

            // Nobody reads the agent's output (a container's goes to its log): drain it so a full pipe never blocks it.
            _ = agent.StandardOutput.CopyToAsync(Stream.Null);
            _ = agent.StandardError.CopyToAsync(Stream.Null);
            session.Agent = agent;
        }
    }

    private static int StopLocked(InProcessSession session)
    {
        session.Running = false;
        var processes = session.Processes.ToList();
        if (session.Agent is { } agent)
        {
            session.Agent = null;
            _ = agent.DisposeAsync().AsTask(); // kills its tree and releases the process handle
        }

        // Killing is enough to stop: each process's owner still disposes it (or, for the agent, nobody reads it).
        foreach (var process in processes)
        {
            process.Kill();
        }

        return processes.Count;
    }

    private void Forget(InProcessSession session, LocalProcess process)
    {
        lock (_lock)
        {
            session.Processes.Remove(process);
        }
    }

    private static Dictionary<string, string> Environment(InProcessSession session, IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = session.Folder.Home,
            ["TMPDIR"] = session.Folder.Temp,
            ["PAUDE_WORKSPACE"] = session.Folder.Workspace,
            ["PAUDE_SESSION"] = session.Name.Value,
        };
        foreach (var (key, value) in session.Spec.Environment)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }
}
#pragma warning restore CA1416
