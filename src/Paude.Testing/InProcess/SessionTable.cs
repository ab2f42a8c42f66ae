using Paude.Errors;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// The sessions of one in-process backend by name, and their state's one lock: every callback runs under it, so
/// create, start, stop, delete and starting a process in a session never interleave. Killing processes, deleting a
/// session's folder and archives run after it is released: one session's stop must not hold up the others.
/// </summary>
internal sealed class SessionTable(string backend)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<SessionName, InProcessSession> _sessions = [];

    /// <summary>The name of the backend, for session infos and errors.</summary>
    public string Backend => backend;

    /// <summary>Adds the session <paramref name="create"/> makes (it runs under the lock and may throw; nothing is added then).</summary>
    /// <exception cref="SessionAlreadyExistsException">A session of that name exists.</exception>
    public SessionInfo Add(SessionName name, Func<InProcessSession> create)
    {
        lock (_lock)
        {
            if (_sessions.ContainsKey(name))
            {
                throw new SessionAlreadyExistsException(name.Value, backend);
            }

            var session = create();
            _sessions[name] = session;
            return session.ToInfo(backend);
        }
    }

    /// <summary>Runs <paramref name="use"/> on the session under the lock.</summary>
    /// <exception cref="SessionNotFoundException">There is no such session.</exception>
    public T Find<T>(SessionName name, Func<InProcessSession, T> use)
    {
        lock (_lock)
        {
            return use(Get(name));
        }
    }

    /// <summary>Runs <paramref name="use"/> on the session under the lock if it runs.</summary>
    /// <exception cref="SessionNotFoundException">There is no such session.</exception>
    /// <exception cref="SessionNotRunningException">It is stopped, or its agent has exited.</exception>
    public T FindRunning<T>(SessionName name, Func<InProcessSession, T> use)
    {
        lock (_lock)
        {
            var session = Get(name);
            var info = session.ToInfo(backend);
            return info.Status == SessionStatus.Running ? use(session) : throw new SessionNotRunningException(name.Value, info.Status.ToString());
        }
    }

    /// <summary>Removes the session and runs <paramref name="end"/> on it under the lock; null when there was none.</summary>
    public InProcessSession? Remove(SessionName name, Action<InProcessSession> end)
    {
        lock (_lock)
        {
            if (!_sessions.Remove(name, out var session))
            {
                return null;
            }

            end(session);
            return session;
        }
    }

    public SessionInfo? TryGetInfo(SessionName name)
    {
        lock (_lock)
        {
            return _sessions.TryGetValue(name, out var session) ? session.ToInfo(backend) : null;
        }
    }

    /// <summary>Every session's state now, ordered by name (a listing never holds the lock while the caller reads it).</summary>
    public IReadOnlyList<SessionInfo> List()
    {
        lock (_lock)
        {
            return [.. _sessions.Values.OrderBy(s => s.Name.Value, StringComparer.Ordinal).Select(s => s.ToInfo(backend))];
        }
    }

    /// <summary>Runs <paramref name="action"/> on every session under the lock.</summary>
    public void ForEach(Action<InProcessSession> action)
    {
        lock (_lock)
        {
            foreach (var session in _sessions.Values)
            {
                action(session);
            }
        }
    }

    private InProcessSession Get(SessionName name) =>
        _sessions.TryGetValue(name, out var session) ? session : throw new SessionNotFoundException(name.Value, backend);
}
