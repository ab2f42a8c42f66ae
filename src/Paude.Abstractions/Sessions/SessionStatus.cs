namespace Paude.Sessions;

/// <summary>The state of a session, derived from the live backend.</summary>
public enum SessionStatus
{
    /// <summary>Resources exist but the agent is not running yet (starting, pulling, scheduling).</summary>
    Pending,

    /// <summary>The agent container and its egress proxy are running.</summary>
    Running,

    /// <summary>The session is stopped; its workspace volume is kept.</summary>
    Stopped,

    /// <summary>
    /// Part of the session is missing but its workspace is intact (the egress proxy is gone or stopped, or the agent
    /// container/pod is gone while its workspace volume remains); <c>Start</c> repairs it.
    /// </summary>
    Degraded,

    /// <summary>The session is broken (dead container, failing pod); see <see cref="SessionInfo.StatusReason"/>.</summary>
    Error,
}
