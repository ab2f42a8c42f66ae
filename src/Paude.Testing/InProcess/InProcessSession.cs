using Paude.Egress;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>The state of one in-process session; guarded by the lock of its <see cref="SessionTable"/>.</summary>
internal sealed class InProcessSession(SessionName name, SessionSpec spec, SessionFolder folder, DateTimeOffset createdAt)
{
    public SessionName Name { get; } = name;

    public SessionSpec Spec { get; } = spec;

    public SessionFolder Folder { get; } = folder;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public bool Running { get; set; }

    public EgressPolicy Egress { get; set; } = spec.Egress;

    /// <summary>Every process started in the session and not yet disposed, and its agent; stop and delete end them.</summary>
    public SessionProcesses Processes { get; } = new();

    public SessionInfo ToInfo(string backend)
    {
        var (status, reason) = (Running, Processes.Agent) switch
        {
            (false, _) => (SessionStatus.Stopped, null),
            (true, { HasExited: true } agent) => (SessionStatus.Error, $"the agent exited with code {agent.ExitCode}"),
            _ => (SessionStatus.Running, (string?)null),
        };
        return new SessionInfo(Name, backend, status)
        {
            StatusReason = reason,
            Workspace = Spec.Workspace,
            CreatedAt = CreatedAt,
            Egress = Egress,
        };
    }
}
