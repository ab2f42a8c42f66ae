using System.Globalization;
using System.Text;
using System.Text.Json;
using Paude.Egress;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The labels that make Podman the source of truth for sessions: every resource carries <c>app=paude</c>, the session
/// name and its role; the agent container and workspace volume also carry the session config, so a session can be
/// listed, inspected and repaired from the engine alone. Free-text values are URL-safe base64 so no label value can
/// break a filter or carry a newline.
/// </summary>
internal static class SessionLabels
{
    public const string App = "app";
    public const string AppValue = "paude";
    public const string SessionName = "paude.io/session-name";
    public const string Role = "paude.io/role";
    public const string Workspace = "paude.io/workspace";
    public const string CreatedAt = "paude.io/created-at";
    public const string AgentImage = "paude.io/agent-image";
    public const string ProxyImage = "paude.io/proxy-image";
    public const string AllowedDomains = "paude.io/allowed-domains";
    public const string User = "paude.io/user";
    public const string Headless = "paude.io/headless";
    public const string Credentials = "paude.io/credentials";
    public const string AgentArgv = "paude.io/agent-argv";
    public const string RoleAgent = "agent";
    public const string RoleProxy = "proxy";

    /// <summary>The labels common to every resource of the session with <paramref name="role"/>.</summary>
    public static Dictionary<string, string> Base(string session, string? role, IEnumerable<KeyValuePair<string, string>> extra)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in extra)
        {
            labels[k] = v;
        }

        labels[App] = AppValue;
        labels[SessionName] = session;
        if (role is not null)
        {
            labels[Role] = role;
        }

        return labels;
    }

    /// <summary>Adds the session config (the labels on the agent container and the workspace volume).</summary>
    public static void AddConfig(Dictionary<string, string> labels, SessionConfig config)
    {
        if (config.Workspace is not null)
        {
            labels[Workspace] = Encode(config.Workspace);
        }

        labels[CreatedAt] = config.CreatedAt.ToString("O", CultureInfo.InvariantCulture);
        labels[AgentImage] = config.AgentImage;
        labels[ProxyImage] = config.ProxyImage;
        labels[AllowedDomains] = Encode(string.Join(",", config.Egress.Entries));
        if (config.User is not null)
        {
            labels[User] = config.User;
        }

        labels[Headless] = config.Headless ? "true" : "false";
        labels[Credentials] = string.Join(",", config.Credentials);
        labels[AgentArgv] = Encode(JsonSerializer.Serialize(config.AgentCommand));
    }

    /// <summary>Reads the session config back; labels come from the engine, so anything unreadable becomes a default.</summary>
    public static SessionConfig ReadConfig(IReadOnlyDictionary<string, string> labels, string defaultAgentImage, string defaultProxyImage)
    {
        string? Get(string key) => labels.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        var created = DateTimeOffset.TryParse(Get(CreatedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var c) ? c : (DateTimeOffset?)null;
        EgressPolicy egress;
        try
        {
            egress = Decode(Get(AllowedDomains)) is { Length: > 0 } entries ? EgressPolicy.Parse(entries.Split(',')) : EgressPolicy.Default;
        }
        catch (Errors.InvalidEgressPolicyException)
        {
            egress = EgressPolicy.Default;
        }

        IReadOnlyList<string> argv;
        try
        {
            argv = JsonSerializer.Deserialize<string[]>(Decode(Get(AgentArgv)) ?? "null") ?? ["claude"];
        }
        catch (JsonException)
        {
            argv = ["claude"];
        }

        return new SessionConfig(
            Decode(Get(Workspace)),
            created ?? DateTimeOffset.MinValue,
            Get(AgentImage) ?? defaultAgentImage,
            Get(ProxyImage) ?? defaultProxyImage,
            egress,
            Get(User),
            Get(Headless) != "false",
            Get(Credentials)?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [],
            argv)
        {
            HasCreatedAt = created is not null,
        };
    }

    public static string Encode(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var b64 = value.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>The configuration of a session as stored in its labels.</summary>
internal sealed record SessionConfig(
    string? Workspace,
    DateTimeOffset CreatedAt,
    string AgentImage,
    string ProxyImage,
    EgressPolicy Egress,
    string? User,
    bool Headless,
    IReadOnlyList<string> Credentials,
    IReadOnlyList<string> AgentCommand)
{
    public bool HasCreatedAt { get; init; } = true;
}
