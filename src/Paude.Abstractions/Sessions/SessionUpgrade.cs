using Paude.Egress;
using Paude.Errors;

namespace Paude.Sessions;

/// <summary>
/// What <see cref="ISessionBackend.UpgradeAsync"/> changes: each property left <c>null</c> keeps the session's current
/// value. An upgrade with nothing set still re-creates the containers/pods (on the same image references, e.g. a
/// rebuilt <c>:latest</c>). The workspace, the agent's state, the delivered credentials (re-delivered) and the sync
/// records always stay. Each value set is checked by the same rules as the <see cref="SessionSpec"/> property of the
/// same name, and by the backend for what it cannot do; every problem is reported together and nothing changes.
/// </summary>
public sealed record SessionUpgrade
{
    /// <summary>The new agent image; <c>null</c> keeps the current one.</summary>
    public string? AgentImage { get; init; }

    /// <summary>The new egress proxy image; <c>null</c> keeps the current one.</summary>
    public string? ProxyImage { get; init; }

    /// <summary>
    /// The agent's new limits, requests and GPUs, as a whole (what this record leaves at its default is the default
    /// afterwards); <c>null</c> keeps the current ones.
    /// </summary>
    public SessionLimits? Limits { get; init; }

    /// <summary>
    /// The agent's new extra environment, as a whole (a variable left out is gone afterwards; an empty map removes
    /// them all); <c>null</c> keeps the current one. Not for secrets: use credentials.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>
    /// The new egress allow-list, replacing the current one (the one in force, also after
    /// <see cref="ISessionBackend.SetEgressPolicyAsync"/>); <c>null</c> keeps the current one.
    /// </summary>
    public EgressPolicy? Egress { get; init; }

    /// <summary>A known agent and its arguments to run from now on; <c>null</c> keeps the current command. Not with <see cref="AgentCommand"/>.</summary>
    public SessionAgent? Agent { get; init; }

    /// <summary>The agent command to run from now on, as an argument vector; <c>null</c> keeps the current one. Not with <see cref="Agent"/>.</summary>
    public IReadOnlyList<string>? AgentCommand { get; init; }

    /// <summary>
    /// The workspace volume's new size in bytes; <c>null</c> keeps it. Only growing, and only where the storage can grow
    /// in place (a Kubernetes StorageClass with <c>allowVolumeExpansion</c>); otherwise the upgrade is refused with
    /// <see cref="InvalidOptionsException"/> and nothing changes. The Podman backend's local volumes have no size.
    /// </summary>
    public long? WorkspaceSizeBytes { get; init; }

    /// <summary>
    /// The node labels the session's pods (agent and proxy) must run on from now on, as a whole (a label left out is no
    /// longer required; an empty map removes the selector); <c>null</c> keeps the current one. Kubernetes only: the
    /// Podman backend refuses a non-empty one, as at create. There is no storage class here on purpose: a claim's class
    /// cannot change (Kubernetes refuses it), and moving the workspace to another class would mean copying it into a new
    /// claim, which an upgrade never does (it never touches the workspace).
    /// </summary>
    public IReadOnlyDictionary<string, string>? NodeSelector { get; init; }

    /// <summary>
    /// The taints the session's pods (agent and proxy) tolerate from now on, as a whole (an empty list removes them all);
    /// <c>null</c> keeps the current ones. Kubernetes only: the Podman backend refuses a non-empty list, as at create.
    /// </summary>
    public IReadOnlyList<SessionToleration>? Tolerations { get; init; }

    /// <summary>The agent command this upgrade asks for: <see cref="Agent"/>'s launcher, else <see cref="AgentCommand"/>; <c>null</c> keeps the current one.</summary>
    public IReadOnlyList<string>? ResolveAgentCommand() => Agent?.ToCommand() ?? AgentCommand;

    /// <summary>The parts of a <see cref="SessionSpec"/> this upgrade sets (the others at the spec's defaults), so the spec's rules apply unchanged.</summary>
    private SessionSpec ToSpec() => new()
    {
        Name = SessionName.Parse("upgrade"),
        AgentImage = AgentImage,
        ProxyImage = ProxyImage,
        Limits = Limits ?? SessionLimits.Default,
        Environment = Environment ?? new Dictionary<string, string>(),
        Egress = Egress ?? EgressPolicy.Default,
        Agent = Agent,
        AgentCommand = AgentCommand ?? ["paude-agent-claude"],
        WorkspaceSizeBytes = WorkspaceSizeBytes,
        NodeSelector = NodeSelector ?? new Dictionary<string, string>(),
        Tolerations = Tolerations ?? [],
    };

    /// <summary>Every problem with the upgrade, all at once (empty when it is valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (AgentImage is not null && !IsImageReference(AgentImage))
        {
            errors.Add("AgentImage: must not be blank or contain whitespace or control characters");
        }

        if (ProxyImage is not null && !IsImageReference(ProxyImage))
        {
            errors.Add("ProxyImage: must not be blank or contain whitespace or control characters");
        }

        if (Agent is not null && AgentCommand is not null)
        {
            errors.Add("Agent: give either Agent or AgentCommand, not both");
        }

        if (Environment is not null && Environment.Any(e => e.Value is null))
        {
            errors.Add("Environment: a variable's value must not be null");
        }

        // The image rules above are stricter than the spec's (the value lands in a command line and a label), so the
        // spec's own image errors would only repeat them.
        errors.AddRange(ToSpec().GetErrors().Where(e => !e.StartsWith("AgentImage:", StringComparison.Ordinal) && !e.StartsWith("ProxyImage:", StringComparison.Ordinal)));
        return errors;
    }

    /// <summary>Throws <see cref="InvalidOptionsException"/> listing every problem when the upgrade is invalid.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid session upgrade", errors);
        }
    }

    private static bool IsImageReference(string image) =>
        !string.IsNullOrWhiteSpace(image) && !image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
}
