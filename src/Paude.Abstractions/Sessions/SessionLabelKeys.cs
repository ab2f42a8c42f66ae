namespace Paude.Sessions;

/// <summary>
/// Label and annotation keys every backend puts on a session's resources. Sessions are discovered by these labels, so
/// every backend (and every process) must use the same keys.
/// </summary>
internal static class SessionLabelKeys
{
    public const string App = "app";
    public const string AppValue = "paude";
    public const string SessionName = "paude.io/session-name";
    public const string Role = "paude.io/role";
    public const string RoleAgent = "agent";
    public const string RoleProxy = "proxy";
    public const string Workspace = "paude.io/workspace";
    public const string CreatedAt = "paude.io/created-at";
    public const string AgentImage = "paude.io/agent-image";
    public const string ProxyImage = "paude.io/proxy-image";
    public const string AllowedDomains = "paude.io/allowed-domains";
    public const string User = "paude.io/user";
    public const string Headless = "paude.io/headless";
    public const string Credentials = "paude.io/credentials";
    public const string AgentArgv = "paude.io/agent-argv";
}
