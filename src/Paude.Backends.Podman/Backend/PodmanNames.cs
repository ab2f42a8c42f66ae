using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The Podman resource names of one session (see the runtime contract). They cannot collide across sessions by
/// construction: session names are <c>[a-z0-9-]</c>, so the agent container <c>paude-&lt;s&gt;</c> never contains a
/// dot and every other resource is <c>paude-&lt;s&gt;.&lt;kind&gt;</c> — the first dot ends the session name, so two
/// sessions' names differ wherever their session names do. (The old scheme made <c>paude-proxy-s</c> both session
/// s's proxy and session proxy-s's agent.) Sessions made by the old scheme are still listed and deleted through
/// their labels; their proxy and volumes are not found under the new names, so such a session reads Degraded
/// and is best deleted and created again.
/// </summary>
internal readonly record struct PodmanNames(SessionName Session)
{
    /// <summary>The proxy's name on the session network, so the agent's proxy URL names no other session.</summary>
    public const string ProxyAlias = "paude-proxy";

    public string Agent => $"paude-{Session.Value}";

    public string Workspace => $"paude-{Session.Value}.workspace";

    public string Network => $"paude-{Session.Value}.net";

    public string Proxy => $"paude-{Session.Value}.proxy";

    public string ProxyConfig => $"paude-{Session.Value}.proxy-config";

    public string SessionLabelFilter => $"label={SessionLabelKeys.SessionName}={Session.Value}";
}
