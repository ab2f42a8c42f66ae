using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>Names, labels and annotation keys of a session's Kubernetes objects (one place, so they never drift).</summary>
internal static class SessionLabels
{
    public const string ConfigHash = "paude.io/config-hash";

    public const string AgentContainer = "paude";
    public const string ProxyContainer = "proxy";
    public const string WorkspaceVolume = "workspace";
    public const string CredentialsVolume = "credentials";
    public const string ProxyConfigVolume = "proxy-config";
    public const string SquidConfKey = "squid.conf";
    public const string PolicyKey = "allowed-domains";

    public static string Agent(SessionName name) => $"paude-{name.Value}";

    public static string AgentPod(SessionName name) => $"paude-{name.Value}-0";

    public static string Pvc(SessionName name) => $"{WorkspaceVolume}-paude-{name.Value}-0";

    public static string Proxy(SessionName name) => $"paude-proxy-{name.Value}";

    public static string AgentEgressPolicy(SessionName name) => $"paude-egress-{name.Value}";

    public static string ProxyIngressPolicy(SessionName name) => $"paude-proxy-ingress-{name.Value}";

    /// <summary>The selector of every object of one session.</summary>
    public static string SessionSelector(SessionName name) => $"{SessionLabelKeys.App}={SessionLabelKeys.AppValue},{SessionLabelKeys.SessionName}={name.Value}";

    /// <summary>The selector of every session's agent StatefulSet.</summary>
    public static string AllAgentsSelector => $"{SessionLabelKeys.App}={SessionLabelKeys.AppValue},{SessionLabelKeys.Role}={SessionLabelKeys.RoleAgent}";

    public static Dictionary<string, string> Common(SessionName name) => new(StringComparer.Ordinal)
    {
        [SessionLabelKeys.App] = SessionLabelKeys.AppValue,
        [SessionLabelKeys.SessionName] = name.Value,
    };

    public static Dictionary<string, string> ForRole(SessionName name, string role)
    {
        var labels = Common(name);
        labels[SessionLabelKeys.Role] = role;
        return labels;
    }
}
