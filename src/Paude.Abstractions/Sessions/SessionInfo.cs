using Paude.Egress;

namespace Paude.Sessions;

/// <summary>What a backend knows about one session, read from the live backend (labels and state).</summary>
/// <param name="Name">The session name.</param>
/// <param name="Backend">The name of the backend that holds the session.</param>
/// <param name="Status">The derived status.</param>
public sealed record SessionInfo(SessionName Name, string Backend, SessionStatus Status)
{
    /// <summary>Why the session has its status, when there is more to say (e.g. "proxy container is missing").</summary>
    public string? StatusReason { get; init; }

    /// <summary>The host workspace folder the session was created for, if any.</summary>
    public string? Workspace { get; init; }

    /// <summary>When the session was created.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>The agent image.</summary>
    public string? AgentImage { get; init; }

    /// <summary>The egress policy the session was created with.</summary>
    public EgressPolicy? Egress { get; init; }
}
