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
    /// <summary>Where the session's socket volume is mounted: read-write in the proxy, read-only in the agent.</summary>
    public const string SocketDirectory = "/run/paude-proxy";

    /// <summary>The proxy's unix socket (squid's port bridged by socat in the proxy; see the images' entrypoints).</summary>
    public const string SocketPath = SocketDirectory + "/proxy.sock";

    public string Agent => $"paude-{Session.Value}";

    public string Workspace => $"paude-{Session.Value}.workspace";

    /// <summary>The session network of sessions created before the agent lost its network; only ever removed now.</summary>
    public string Network => $"paude-{Session.Value}.net";

    /// <summary>The small volume holding the proxy's unix socket, the agent's only way out.</summary>
    public string ProxySocket => $"paude-{Session.Value}.sock";

    public string Proxy => $"paude-{Session.Value}.proxy";

    public string ProxyConfig => $"paude-{Session.Value}.proxy-config";

    public string SessionLabelFilter => $"label={SessionLabelKeys.SessionName}={Session.Value}";
}
