using System.Text;

namespace Paude.Sessions;

/// <summary>
/// The contract between a backend and the agent image (its entrypoint reads it): where the workspace and the
/// credentials are, and the environment every session's agent starts with. A backend of its own that runs the Paude
/// agent image gives the agent exactly this; the built-in backends do.
/// </summary>
public static class AgentContract
{
    /// <summary>Where the session's persistent volume is mounted in the agent.</summary>
    public const string WorkspaceMount = "/pvc";

    /// <summary>The workspace inside the volume: the agent works here and sync reads and writes here.</summary>
    public const string WorkspacePath = WorkspaceMount + "/workspace";

    /// <summary>The in-memory directory credentials are delivered to on every start (never on the volume).</summary>
    public const string CredentialsPath = "/credentials";

    /// <summary>
    /// The agent image's credential restore step, <c>paude-restore-credentials [--parts DIR] [DEST]</c>: verifies the
    /// delivered package in <c>DEST</c> (default <see cref="CredentialsPath"/>) against its manifests, or first
    /// reassembles it from split parts in <c>DIR</c>, and links the pieces into the agent's home.
    /// </summary>
    public const string RestoreCredentialsCommand = "/usr/local/bin/paude-restore-credentials";

    /// <summary>The agent user's home directory (the agent's state lives under it).</summary>
    public const string HomePath = "/home/paude";

    /// <summary>
    /// The variables every agent starts with, in this order: <c>PAUDE_SESSION_NAME</c>, <c>PAUDE_WORKSPACE</c>,
    /// <c>PAUDE_AGENT_ARGV</c> (the command, NUL-separated, base64), <c>PAUDE_HEADLESS</c> (<c>1</c>/<c>0</c>), then
    /// <c>HTTP_PROXY</c>/<c>HTTPS_PROXY</c> in both cases set to <paramref name="proxyUrl"/> and
    /// <c>NO_PROXY</c>/<c>no_proxy</c> for loopback. They win over a spec's own environment of the same name.
    /// </summary>
    /// <param name="session">The session's name.</param>
    /// <param name="agentCommand">The command the entrypoint runs (see <see cref="SessionSpec.ResolveAgentCommand"/>).</param>
    /// <param name="headless">Whether the agent runs without a terminal.</param>
    /// <param name="proxyUrl">The egress proxy as the agent reaches it (for example <c>http://127.0.0.1:3128</c>).</param>
    /// <returns>The variables, names and values.</returns>
    public static IReadOnlyList<KeyValuePair<string, string>> Environment(SessionName session, IReadOnlyList<string> agentCommand, bool headless, string proxyUrl)
    {
        ArgumentNullException.ThrowIfNull(agentCommand);
        ArgumentException.ThrowIfNullOrEmpty(proxyUrl);
        const string loopback = "localhost,127.0.0.1";
        return
        [
            new("PAUDE_SESSION_NAME", session.Value),
            new("PAUDE_WORKSPACE", WorkspacePath),
            new("PAUDE_AGENT_ARGV", Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\0', agentCommand)))),
            new("PAUDE_HEADLESS", headless ? "1" : "0"),
            new("HTTP_PROXY", proxyUrl),
            new("HTTPS_PROXY", proxyUrl),
            new("http_proxy", proxyUrl),
            new("https_proxy", proxyUrl),
            new("NO_PROXY", loopback),
            new("no_proxy", loopback),
        ];
    }
}
