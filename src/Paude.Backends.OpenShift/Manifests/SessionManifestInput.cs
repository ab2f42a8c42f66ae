using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>Everything the manifest builders need, resolved from a spec and the backend options.</summary>
internal sealed record SessionManifestInput(
    SessionName Name,
    string Namespace,
    string AgentImage,
    string ProxyImage,
    IReadOnlyList<string> AgentCommand,
    IReadOnlyDictionary<string, string> Environment,
    EgressPolicy Egress,
    bool Headless,
    string? User,
    IReadOnlyList<string> Credentials,
    string? Workspace,
    DateTimeOffset CreatedAt)
{
    /// <summary>The agent container's memory/CPU limits (its process limit is the node's: see <see cref="PodSecurity"/>).</summary>
    public SessionLimits Limits { get; init; } = SessionLimits.Default;

    /// <summary>Workspace size and class, placement and the session's own pull secrets (stored in the record).</summary>
    public SessionClusterSpec Cluster { get; init; } = SessionClusterSpec.Empty;

    /// <summary>The part stored on the StatefulSet (see <see cref="SessionRecordCodec"/>).</summary>
    public SessionRecord Record => new(Workspace, CreatedAt, AgentImage, ProxyImage, Egress, User, Headless, Credentials, AgentCommand) { Limits = Limits, Cluster = Cluster };

    public static SessionManifestInput From(SessionSpec spec, SessionName name, string ns, OpenShiftBackendOptions options, DateTimeOffset now) =>
        FromRecord(name, ns, SessionRecord.FromSpec(spec, now, options.AgentImage, options.ProxyImage, defaultUser: null), spec.Environment);

    /// <summary>The input of a session from its record (the extra environment is the StatefulSet's own business).</summary>
    public static SessionManifestInput FromRecord(SessionName name, string ns, SessionRecord record, IReadOnlyDictionary<string, string> environment) =>
        new(
            name,
            ns,
            record.AgentImage,
            record.ProxyImage,
            record.AgentCommand,
            environment,
            record.Egress,
            record.Headless,
            record.User,
            record.Credentials,
            record.Workspace,
            record.CreatedAt ?? DateTimeOffset.UnixEpoch)
        {
            Limits = record.Limits,
            Cluster = record.Cluster,
        };
}
