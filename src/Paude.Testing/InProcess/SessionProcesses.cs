namespace Paude.Testing.InProcess;

/// <summary>
/// The local processes of one session that are not disposed yet, and its agent: what stop and delete end. It has a
/// lock of its own because a process forgets itself when its owner disposes it, on any thread, outside the table's lock.
/// </summary>
internal sealed class SessionProcesses
{
    private readonly Lock _lock = new();
    private readonly HashSet<LocalProcess> _processes = [];
    private LocalProcess? _agent;

    /// <summary>The agent process while the session runs (when the backend runs agents).</summary>
    public LocalProcess? Agent
    {
        get
        {
            lock (_lock)
            {
                return _agent;
            }
        }
    }

    public void SetAgent(LocalProcess agent)
    {
        lock (_lock)
        {
            _agent = agent;
        }
    }

    public void Add(LocalProcess process)
    {
        lock (_lock)
        {
            _processes.Add(process);
        }
    }

    public void Remove(LocalProcess process)
    {
        lock (_lock)
        {
            _processes.Remove(process);
        }
    }

    /// <summary>
    /// Takes the agent and every other process out of the session's hands. Called under the table's lock (so no process
    /// starts meanwhile); the caller ends them with <see cref="EndingProcesses.Kill"/> after releasing it.
    /// </summary>
    public EndingProcesses Detach()
    {
        lock (_lock)
        {
            var agent = _agent;
            _agent = null;
            return new EndingProcesses(agent, [.. _processes]);
        }
    }
}

/// <summary>Processes of a session that stop or delete ends, taken out under the table's lock and killed outside it.</summary>
/// <remarks>
/// Killing reads the machine's process table to find the children (<see cref="ProcessTreeKiller"/>: once for all the
/// session's processes, where each tree killed on its own read it once per process of the tree, about a second each at
/// a load of 40); no other session's call should wait for that.
/// </remarks>
internal sealed class EndingProcesses(LocalProcess? agent, IReadOnlyList<LocalProcess> processes)
{
    public static EndingProcesses None { get; } = new(null, []);

    /// <summary>Ends the agent and kills every other process; returns how many of the others there were.</summary>
    public int Kill()
    {
        // Killing is enough to stop: each process's owner still disposes it, which removes it from the session.
        LocalProcess.KillAll(agent is null ? processes : [agent, .. processes]);

        // Nobody owns the agent: disposing releases its process handle (its tree is dead already).
        _ = agent?.DisposeAsync().AsTask();
        return processes.Count;
    }
}
