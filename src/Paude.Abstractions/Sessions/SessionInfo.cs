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

    /// <summary>
    /// The limits, requests and GPUs in force for the agent, read from the live backend (each backend says where from);
    /// <c>null</c> when the backend cannot tell (it has no limits, or what it holds is unreadable). A request the session
    /// did not set itself reads as <c>null</c> even where the backend applies a default of its own. A value record of
    /// scalars, so <see cref="SessionInfo"/> equality compares it by value.
    /// </summary>
    public SessionLimits? Limits { get; init; }
}
