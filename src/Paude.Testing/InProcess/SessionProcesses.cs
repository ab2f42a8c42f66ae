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

    /// <summary>Ends the agent and kills every other process; returns how many of the others there were.</summary>
    public int EndAll()
    {
        LocalProcess? agent;
        List<LocalProcess> processes;
        lock (_lock)
        {
            (agent, _agent) = (_agent, null);
            processes = [.. _processes];
        }

        // Nobody owns the agent: disposing kills its tree and releases the process handle.
        _ = agent?.DisposeAsync().AsTask();

        // Killing is enough to stop: each process's owner still disposes it, which removes it here.
        foreach (var process in processes)
        {
            process.Kill();
        }

        return processes.Count;
    }
}
