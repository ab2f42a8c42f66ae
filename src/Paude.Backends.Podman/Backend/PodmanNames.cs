using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>The Podman resource names of one session (see the runtime contract).</summary>
internal readonly record struct PodmanNames(SessionName Session)
{
    public string Agent => $"paude-{Session.Value}";

    public string Workspace => $"paude-{Session.Value}-workspace";

    public string Network => $"paude-net-{Session.Value}";

    public string Proxy => $"paude-proxy-{Session.Value}";

    public string ProxyConfig => $"paude-proxy-{Session.Value}-config";

    public string SessionLabelFilter => $"label={SessionLabelKeys.SessionName}={Session.Value}";
}
