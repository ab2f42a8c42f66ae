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

    /// <summary>The agent runs but its egress proxy is missing or stopped; <c>Start</c> repairs it.</summary>
    Degraded,

    /// <summary>The session is broken (dead container, failing pod); see <see cref="SessionInfo.StatusReason"/>.</summary>
    Error,
}
