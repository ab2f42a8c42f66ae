using Paude.Egress;

namespace Paude.Sessions;

// Shared source (src/Shared): compiled as an internal type into both built-in backends, so the stored session record
// has one definition. Podman keeps it in labels, OpenShift in the StatefulSet's annotations (SessionRecordCodec).
/// <summary>
/// What a session was created with, as the backend stores it on its own objects: the engine or cluster is the record,
/// so any process can list, describe and repair a session (re-create a lost proxy or agent) from it alone.
/// </summary>
internal sealed record SessionRecord(
    string? Workspace,
    DateTimeOffset? CreatedAt,
    string AgentImage,
    string ProxyImage,
    EgressPolicy Egress,
    string? User,
    bool Headless,
    IReadOnlyList<string> Credentials,
    IReadOnlyList<string> AgentCommand)
{
    /// <summary>The agent's limits (stored by Podman only: on Kubernetes the pod's resources carry them).</summary>
    public SessionLimits Limits { get; init; } = SessionLimits.Default;

    /// <summary>Workspace size and class, placement and pull secret names (Kubernetes only; empty on Podman).</summary>
    public SessionClusterSpec Cluster { get; init; } = SessionClusterSpec.Empty;

    /// <summary>
    /// How many upgrades made this record (0: as created). Stored by Podman only, on the agent container and on the
    /// upgrade record volume, so an upgrade tells containers of an older record from those of its own.
    /// </summary>
    public int Generation { get; init; }

    /// <summary>The record of a new session: the spec, with the backend's defaults for what the spec leaves open.</summary>
    public static SessionRecord FromSpec(SessionSpec spec, DateTimeOffset now, string defaultAgentImage, string defaultProxyImage, string? defaultUser) =>
        new(
            spec.Workspace is null ? null : Path.GetFullPath(spec.Workspace),
            now,
            spec.AgentImage ?? defaultAgentImage,
            spec.ProxyImage ?? defaultProxyImage,
            spec.Egress,
            spec.User ?? defaultUser,
            spec.Headless,
            spec.Credentials,
            spec.ResolveAgentCommand())
        {
            Limits = spec.Limits,
            Cluster = SessionClusterSpec.From(spec),
        };
}
