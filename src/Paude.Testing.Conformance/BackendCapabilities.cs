namespace Paude.Conformance;

/// <summary>
/// What a backend under test supports beyond the core session contract (lifecycle, exec, file channel). A test that
/// needs a capability the fixture does not declare is reported as skipped with the capability's name, never as
/// passed; everything else runs. The built-in Podman and OpenShift backends declare <see cref="All"/>.
/// </summary>
[Flags]
public enum BackendCapabilities
{
    /// <summary>Only the core contract.</summary>
    None = 0,

    /// <summary>Processes run as the spec's <c>User</c> (an arbitrary UID with group 0, OpenShift style).</summary>
    SessionUser = 1,

    /// <summary>
    /// An egress proxy enforces the allow-list (an allowed host answers, a denied one gets 403 and shows in the blocked
    /// requests) and a new allow-list takes effect on a running session.
    /// </summary>
    EgressProxy = 2,

    /// <summary>The session cannot bypass its proxy: a direct connection fails (or its declared isolation is asserted).</summary>
    NetworkIsolation = 4,

    /// <summary><c>ForwardPortAsync</c> reaches a port on the session's loopback.</summary>
    PortForward = 8,

    /// <summary>The hostile-agent guarantees: no root, no capabilities, no setuid binaries, a read-only passwd.</summary>
    Sandbox = 16,

    /// <summary>The spec's process and memory limits are enforced.</summary>
    ResourceLimits = 32,

    /// <summary>
    /// <c>UpgradeAsync</c> re-creates the session on a new spec (environment, allow-list, agent command, limits) while
    /// the workspace (commits, uncommitted edits) and the agent's state stay.
    /// </summary>
    Upgrade = 64,

    /// <summary>
    /// <c>GetAsync</c> and <c>ListAsync</c> report the limits, requests and GPUs in force (<c>SessionInfo.Limits</c>):
    /// the created ones, and after an upgrade (with <see cref="Upgrade"/>) the new ones.
    /// </summary>
    LimitsReported = 128,

    /// <summary>Everything above.</summary>
    All = SessionUser | EgressProxy | NetworkIsolation | PortForward | Sandbox | ResourceLimits | Upgrade | LimitsReported,
}
