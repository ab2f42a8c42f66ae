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

    public static SessionManifestInput From(SessionSpec spec, SessionName name, string ns, OpenShiftBackendOptions options, DateTimeOffset now) =>
        new(
            name,
            ns,
            spec.AgentImage ?? options.AgentImage,
            spec.ProxyImage ?? options.ProxyImage,
            spec.ResolveAgentCommand(),
            spec.Environment,
            spec.Egress,
            spec.Headless,
            spec.User,
            spec.Credentials,
            spec.Workspace is null ? null : Path.GetFullPath(spec.Workspace),
            now)
        {
            Limits = spec.Limits,
        };
}
