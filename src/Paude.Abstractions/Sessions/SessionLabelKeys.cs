namespace Paude.Sessions;

/// <summary>
/// Label and annotation keys every backend puts on a session's resources. Sessions are discovered by these labels, so
/// every backend (and every process) must use the same keys; tools can select a session's resources by them
/// (for example <c>kubectl get pods -l paude.io/session-name=NAME</c>).
/// </summary>
public static class SessionLabelKeys
{
    /// <summary>The label every Paude resource carries (value <see cref="AppValue"/>).</summary>
    public const string App = "app";
    /// <summary>The value of <see cref="App"/>.</summary>
    public const string AppValue = "paude";
    /// <summary>The label with the session name: sessions are found by it.</summary>
    public const string SessionName = "paude.io/session-name";
    /// <summary>The label telling the agent from the proxy (<see cref="RoleAgent"/>, <see cref="RoleProxy"/>).</summary>
    public const string Role = "paude.io/role";
    /// <summary>The <see cref="Role"/> of the agent container or pod.</summary>
    public const string RoleAgent = "agent";
    /// <summary>The <see cref="Role"/> of the egress proxy container or pod.</summary>
    public const string RoleProxy = "proxy";
    /// <summary>The annotation with the host workspace the session was created for.</summary>
    public const string Workspace = "paude.io/workspace";
    /// <summary>The annotation with the creation time (ISO 8601, UTC).</summary>
    public const string CreatedAt = "paude.io/created-at";
    /// <summary>The annotation with the agent image.</summary>
    public const string AgentImage = "paude.io/agent-image";
    /// <summary>The annotation with the proxy image.</summary>
    public const string ProxyImage = "paude.io/proxy-image";
    /// <summary>The annotation with the egress allow-list.</summary>
    public const string AllowedDomains = "paude.io/allowed-domains";
    /// <summary>The annotation with the user the agent runs as, when set.</summary>
    public const string User = "paude.io/user";
    /// <summary>The annotation telling whether the agent runs headless.</summary>
    public const string Headless = "paude.io/headless";
    /// <summary>The annotation with the credential sources delivered to the session.</summary>
    public const string Credentials = "paude.io/credentials";
    /// <summary>The annotation with the agent command (JSON array).</summary>
    public const string AgentArgv = "paude.io/agent-argv";
}
