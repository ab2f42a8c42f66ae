using System.Globalization;
using System.Text;
using System.Text.Json;
using Paude.Egress;

namespace Paude.Sessions;

// Shared source (src/Shared): see SessionRecord.
/// <summary>How free text is kept in the key/value map that holds a <see cref="SessionRecord"/>.</summary>
internal enum SessionRecordEncoding
{
    /// <summary>As is: Kubernetes annotations take any text.</summary>
    PlainText,

    /// <summary>
    /// URL-safe base64 without padding for the free-text values (workspace, allow-list, agent argv): Podman labels are
    /// matched by <c>key=value</c> filters and split at commas, so no value may carry a comma, '=' or a newline.
    /// </summary>
    Base64Url,
}

// Shared source (src/Shared): see SessionRecord.
/// <summary>
/// Writes a <see cref="SessionRecord"/> into labels/annotations under <see cref="SessionLabelKeys"/> and reads it back.
/// What is read comes from the engine or the cluster (anyone may have edited it), so anything unreadable becomes a
/// default instead of failing every listing.
/// </summary>
internal static class SessionRecordCodec
{
    /// <summary>The command an agent runs when the stored one is missing or unreadable.</summary>
    private static readonly IReadOnlyList<string> DefaultCommand = ["claude"];

    /// <summary>The record's cluster part (JSON); written only when it is not empty, so older sessions read as empty.</summary>
    internal const string ClusterKey = "paude.io/cluster";

    /// <summary>Adds the record's keys to <paramref name="into"/> (its limits are the backend's business).</summary>
    public static void Write(SessionRecord record, IDictionary<string, string> into, SessionRecordEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(into);
        if (record.CreatedAt is { } created)
        {
            into[SessionLabelKeys.CreatedAt] = created.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        }

        into[SessionLabelKeys.AgentImage] = record.AgentImage;
        into[SessionLabelKeys.ProxyImage] = record.ProxyImage;
        into[SessionLabelKeys.AllowedDomains] = Text(string.Join(",", record.Egress.Entries), encoding);
        into[SessionLabelKeys.Headless] = record.Headless ? "true" : "false";
        into[SessionLabelKeys.Credentials] = string.Join(",", record.Credentials);
        into[SessionLabelKeys.AgentArgv] = Text(JsonSerializer.Serialize(record.AgentCommand, SessionRecordJson.Default.IReadOnlyListString), encoding);
        if (record.Workspace is not null)
        {
            into[SessionLabelKeys.Workspace] = Text(record.Workspace, encoding);
        }

        if (record.User is not null)
        {
            into[SessionLabelKeys.User] = record.User;
        }

        if (!record.Cluster.IsEmpty)
        {
            into[ClusterKey] = Text(JsonSerializer.Serialize(record.Cluster, SessionRecordJson.Default.SessionClusterSpec), encoding);
        }
    }

    /// <summary>Whether <paramref name="map"/> carries a record (enough of one to re-create the session from).</summary>
    public static bool HasRecord(IReadOnlyDictionary<string, string>? map) =>
        map is not null && map.ContainsKey(SessionLabelKeys.CreatedAt) && map.ContainsKey(SessionLabelKeys.AgentImage);

    /// <summary>Reads the record back; missing images take the given defaults.</summary>
    public static SessionRecord Read(IReadOnlyDictionary<string, string> map, SessionRecordEncoding encoding, string defaultAgentImage, string defaultProxyImage)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new SessionRecord(
            Get(map, SessionLabelKeys.Workspace, encoding),
            ReadCreatedAt(map),
            Get(map, SessionLabelKeys.AgentImage, SessionRecordEncoding.PlainText) ?? defaultAgentImage,
            Get(map, SessionLabelKeys.ProxyImage, SessionRecordEncoding.PlainText) ?? defaultProxyImage,
            ReadEgress(map, encoding) ?? EgressPolicy.Default,
            Get(map, SessionLabelKeys.User, SessionRecordEncoding.PlainText),
            Get(map, SessionLabelKeys.Headless, SessionRecordEncoding.PlainText) != "false",
            Get(map, SessionLabelKeys.Credentials, SessionRecordEncoding.PlainText)?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [],
            ReadCommand(map, encoding))
        {
            Cluster = ReadCluster(map, encoding),
        };
    }

    /// <summary>The cluster part; empty when missing, and when unreadable or edited into something a spec may not hold.</summary>
    public static SessionClusterSpec ReadCluster(IReadOnlyDictionary<string, string> map, SessionRecordEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(map);
        try
        {
            return Get(map, ClusterKey, encoding) is { } json && JsonSerializer.Deserialize(json, SessionRecordJson.Default.SessionClusterSpec) is { } cluster && cluster.IsValid()
                ? cluster
                : SessionClusterSpec.Empty;
        }
        catch (JsonException)
        {
            return SessionClusterSpec.Empty;
        }
    }

    /// <summary>The creation time; <c>null</c> when missing or unreadable.</summary>
    public static DateTimeOffset? ReadCreatedAt(IReadOnlyDictionary<string, string> map) =>
        DateTimeOffset.TryParse(Get(map, SessionLabelKeys.CreatedAt, SessionRecordEncoding.PlainText), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    /// <summary>
    /// The allow-list; <c>null</c> when missing or edited into something invalid. A present but empty value is the
    /// empty policy (nothing allowed), never the default: a repair must not widen a deny-all session's egress.
    /// </summary>
    public static EgressPolicy? ReadEgress(IReadOnlyDictionary<string, string> map, SessionRecordEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (!map.TryGetValue(SessionLabelKeys.AllowedDomains, out var raw))
        {
            return null;
        }

        try
        {
            return raw.Length == 0 ? EgressPolicy.Parse([]) : Get(map, SessionLabelKeys.AllowedDomains, encoding) is { } entries ? EgressPolicy.Parse([entries]) : null;
        }
        catch (Errors.InvalidEgressPolicyException)
        {
            return null;
        }
    }

    /// <summary>A free-text value as stored with <see cref="SessionRecordEncoding.Base64Url"/>.</summary>
    public static string Encode(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The inverse of <see cref="Encode"/>; <c>null</c> for <c>null</c> or anything that is not such base64.</summary>
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

    private static IReadOnlyList<string> ReadCommand(IReadOnlyDictionary<string, string> map, SessionRecordEncoding encoding)
    {
        try
        {
            return Get(map, SessionLabelKeys.AgentArgv, encoding) is { } json ? JsonSerializer.Deserialize(json, SessionRecordJson.Default.StringArray) ?? DefaultCommand : DefaultCommand;
        }
        catch (JsonException)
        {
            return DefaultCommand;
        }
    }

    private static string Text(string value, SessionRecordEncoding encoding) =>
        encoding == SessionRecordEncoding.Base64Url ? Encode(value) : value;

    /// <summary>A value, decoded; an empty or undecodable one is <c>null</c>.</summary>
    private static string? Get(IReadOnlyDictionary<string, string> map, string key, SessionRecordEncoding encoding)
    {
        if (!map.TryGetValue(key, out var raw) || raw.Length == 0)
        {
            return null;
        }

        return encoding == SessionRecordEncoding.Base64Url ? Decode(raw) : raw;
    }
}
