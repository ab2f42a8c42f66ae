using Microsoft.Extensions.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// Create, start, stop and delete of in-process sessions: a session is its folder under the root plus its entry in
/// the table; running means its processes may start (and, when the backend runs agents, its agent runs).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SessionLifecycle(string root, SessionTable sessions, LocalExec exec, TimeProvider time, ILogger logger)
{
    /// <summary>The folder a session of that name has (or would have).</summary>
    public SessionFolder Folder(SessionName name) => new(root, name);

    /// <exception cref="SessionAlreadyExistsException">The session, or a folder of its name, exists.</exception>
    public SessionInfo Create(SessionSpec spec)
    {
        var name = spec.ResolveName();
        var folder = Folder(name);
        var info = sessions.Add(name, () =>
        {
            if (Directory.Exists(folder.Root))
            {
                throw new SessionAlreadyExistsException(name.Value, sessions.Backend);
            }

            folder.Create();
            var session = new InProcessSession(name, spec, folder, time.GetUtcNow());
            try
            {
                Run(session);
            }
            catch
            {
                folder.Delete();
                throw;
            }

            return session;
        });
        Log.Created(logger, name.Value, folder.Root);
        return info;
    }

    /// <summary>Starts a stopped session; one whose agent exited is stopped first, then started again.</summary>
    public SessionInfo Start(SessionName name) => sessions.Find(name, session =>
    {
        if (session.Processes.Agent is { HasExited: true })
        {
            End(session);
        }

        if (!session.Running)
        {
            Run(session);
        }

        return session.ToInfo(sessions.Backend);
    });

    public SessionInfo Stop(SessionName name) => sessions.Find(name, session =>
    {
        var ended = End(session);
        Log.Stopped(logger, name.Value, ended);
        return session.ToInfo(sessions.Backend);
    });

    /// <summary>Ends the session's processes and removes its folder; false when there is no such session.</summary>
    public bool Delete(SessionName name)
    {
        var deleted = sessions.Remove(name, session =>
        {
            End(session);
            session.Folder.Delete();
        });
        if (deleted)
        {
            Log.Deleted(logger, name.Value);
        }

        return deleted;
    }

    /// <summary>Stops every session (their folders stay).</summary>
    public void StopAll() => sessions.ForEach(session => End(session));

    private void Run(InProcessSession session)
    {
        session.Running = true;
        try
        {
            exec.StartAgent(session);
        }
        catch
        {
            session.Running = false;
            throw;
        }
    }

    private static int End(InProcessSession session)
    {
        session.Running = false;
        return session.Processes.EndAll();
    }
}
