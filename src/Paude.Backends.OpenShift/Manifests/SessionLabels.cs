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

    // Names cannot collide between sessions by construction. Session names are [a-z0-9-] (so any "<prefix>-<name>"
    // scheme with a shared prefix collides: before, session "proxy-x"'s agent was session "x"'s proxy). Every agent
    // object is "paude-<name>", every proxy object "proxy-paude-<name>": the two roles differ in their first word,
    // within a role the name is the only variable part, and each kind has at most one object per role and session
    // (the two NetworkPolicies take their role's name). Services and labels allow no '.', so no other separator.

    /// <summary>The agent's StatefulSet, headless Service and NetworkPolicy.</summary>
    public static string Agent(SessionName name) => $"paude-{name.Value}";

    public static string AgentPod(SessionName name) => $"paude-{name.Value}-0";

    public static string Pvc(SessionName name) => $"{WorkspaceVolume}-paude-{name.Value}-0";

    /// <summary>The proxy's ConfigMap, Deployment, Service and NetworkPolicy.</summary>
    public static string Proxy(SessionName name) => $"proxy-paude-{name.Value}";

    public static string AgentPolicy(SessionName name) => Agent(name);

    public static string ProxyPolicy(SessionName name) => Proxy(name);

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
