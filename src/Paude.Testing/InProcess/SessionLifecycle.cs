using Microsoft.Extensions.Logging;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// Create, start, stop and delete of in-process sessions: a session is its folder under the root plus its entry in
/// the table; running means its processes may start (and, when the backend runs agents, its agent runs). State
/// changes under the table's lock; processes are killed after it is released (<see cref="EndingProcesses"/>).
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
    public SessionInfo Start(SessionName name)
    {
        var (info, ending) = sessions.Find(name, session =>
        {
            var ending = session.Processes.Agent is { HasExited: true } ? End(session) : EndingProcesses.None;
            if (!session.Running)
            {
                Run(session);
            }

            return (session.ToInfo(sessions.Backend), ending);
        });
        ending.Kill();
        return info;
    }

    public SessionInfo Stop(SessionName name)
    {
        var (info, ending) = sessions.Find(name, session =>
        {
            var ending = End(session);
            return (session.ToInfo(sessions.Backend), ending);
        });
        var ended = ending.Kill();
        Log.Stopped(logger, name.Value, ended);
        return info;
    }

    /// <summary>Ends the session's processes and removes its folder; false when there is no such session.</summary>
    public bool Delete(SessionName name)
    {
        var ending = EndingProcesses.None;
        if (sessions.Remove(name, session => ending = End(session)) is not { } removed)
        {
            return false;
        }

        // Out of the table, so nothing starts in it any more; its name is free once the folder is gone.
        ending.Kill();
        removed.Folder.Delete();
        Log.Deleted(logger, name.Value);
        return true;
    }

    /// <summary>Stops every session (their folders stay).</summary>
    public void StopAll()
    {
        var endings = new List<EndingProcesses>();
        sessions.ForEach(session => endings.Add(End(session)));
        foreach (var ending in endings)
        {
            ending.Kill();
        }
    }

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

    /// <summary>Marks the session stopped and takes its processes (under the table's lock); the caller kills them after.</summary>
    private static EndingProcesses End(InProcessSession session)
    {
        session.Running = false;
        return session.Processes.Detach();
    }
}
