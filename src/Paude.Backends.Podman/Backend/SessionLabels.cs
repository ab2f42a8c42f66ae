using System.Globalization;
using System.Text.Json;
using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// The labels that make Podman the source of truth for sessions: every resource carries <c>app=paude</c>, the session
/// name and its role; the agent container and workspace volume also carry the session config, so a session can be
/// listed, inspected and repaired from the engine alone. Free-text values are URL-safe base64 so no label value can
/// break a filter or carry a newline (<see cref="SessionRecordEncoding.Base64Url"/>).
/// </summary>
internal static class SessionLabels
{
    /// <summary>
    /// The spec's extra environment (JSON, base64), on the workspace volume only: it is what re-creates an agent
    /// container removed behind our back. The contract keeps secrets out of it (they travel as credentials), and the
    /// same values are in the agent container's own config anyway.
    /// </summary>
    public const string Environment = "paude.io/environment";

    /// <summary>
    /// The agent's resources (memory bytes, CPUs, processes, then CPU request, memory request — empty when unset —
    /// and GPUs; '_'-separated: podman splits volume label values at commas), so a re-created agent gets the same
    /// ones. A label of three fields is a session from before requests and GPUs.
    /// </summary>
    public const string Limits = "paude.io/limits";

    /// <summary>The record's <see cref="SessionRecord.Generation"/> (absent: 0, a session never upgraded).</summary>
    public const string Generation = "paude.io/generation";

    /// <summary>The labels common to every resource of the session with <paramref name="role"/>.</summary>
    public static Dictionary<string, string> Base(string session, string? role, IEnumerable<KeyValuePair<string, string>> extra)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in extra)
        {
            labels[k] = v;
        }

        labels[SessionLabelKeys.App] = SessionLabelKeys.AppValue;
        labels[SessionLabelKeys.SessionName] = session;
        if (role is not null)
        {
            labels[SessionLabelKeys.Role] = role;
        }

        return labels;
    }

    /// <summary>Adds the session record (the labels on the agent container and the workspace volume).</summary>
    public static void AddConfig(Dictionary<string, string> labels, SessionRecord config)
    {
        SessionRecordCodec.Write(config, labels, SessionRecordEncoding.Base64Url);
        var l = config.Limits;
        labels[Limits] = string.Create(CultureInfo.InvariantCulture, $"{l.MemoryBytes}_{l.Cpus}_{l.Pids}_{l.CpuRequest}_{l.MemoryRequestBytes}_{l.Gpus}");
        if (config.Generation > 0)
        {
            labels[Generation] = config.Generation.ToString(CultureInfo.InvariantCulture);
        }
    }

    /// <summary>Adds the spec's extra environment (see <see cref="Environment"/>).</summary>
    public static void AddEnvironment(Dictionary<string, string> labels, IReadOnlyDictionary<string, string> environment)
    {
        if (environment.Count > 0)
        {
            labels[Environment] = Encode(JsonSerializer.Serialize(environment, PodmanJson.Default.IReadOnlyDictionaryStringString));
        }
    }

    /// <summary>Reads the extra environment back; a missing or unreadable label is an empty environment.</summary>
    public static IReadOnlyDictionary<string, string> ReadEnvironment(IReadOnlyDictionary<string, string> labels)
    {
        try
        {
            return labels.TryGetValue(Environment, out var v) && Decode(v) is { } json
                ? JsonSerializer.Deserialize(json, PodmanJson.Default.DictionaryStringString) ?? []
                : new Dictionary<string, string>();
        }
        catch (JsonException)
        {
            return new Dictionary<string, string>();
        }
    }

    /// <summary>Whether <paramref name="labels"/> carry a session record (the workspace volume of a create does).</summary>
    public static bool HasConfig(IReadOnlyDictionary<string, string> labels) => SessionRecordCodec.HasRecord(labels);

    /// <summary>Reads the session record back; labels come from the engine, so anything unreadable becomes a default.</summary>
    public static SessionRecord ReadConfig(IReadOnlyDictionary<string, string> labels, string defaultAgentImage, string defaultProxyImage) =>
        SessionRecordCodec.Read(labels, SessionRecordEncoding.Base64Url, defaultAgentImage, defaultProxyImage) with
        {
            Limits = ReadLimits(labels.TryGetValue(SessionLabels.Limits, out var limits) ? limits : null),
            Generation = ReadGeneration(labels),
        };

    /// <summary>Reads the generation label; a missing or unreadable one is 0.</summary>
    public static int ReadGeneration(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(Generation, out var value) && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var generation) ? generation : 0;

    /// <summary>
    /// Reads the limits label; a missing or unreadable one (a session from before limits, or an edited label) gets
    /// the defaults.
    /// </summary>
    internal static SessionLimits ReadLimits(string? value) => TryReadLimits(value) ?? SessionLimits.Default;

    /// <summary>The limits label of <paramref name="labels"/>; <c>null</c> when it is missing or unreadable (never an exception).</summary>
    public static SessionLimits? TryReadLimits(IReadOnlyDictionary<string, string> labels) =>
        TryReadLimits(labels.TryGetValue(Limits, out var value) ? value : null);

    /// <summary>Reads the limits label; <c>null</c> when it is missing, malformed or out of the spec's bounds.</summary>
    internal static SessionLimits? TryReadLimits(string? value)
    {
        var parts = value?.Split('_') ?? [];
        if (parts.Length is 3 or 6 &&
            long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var memory) &&
            double.TryParse(parts[1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cpus) &&
            int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pids) &&
            TryOptional(parts, 3, out double? cpuRequest) && TryOptional(parts, 4, out long? memoryRequest) && TryGpus(parts, out var gpus))
        {
            var limits = new SessionLimits { MemoryBytes = memory, Cpus = cpus, Pids = pids, CpuRequest = cpuRequest, MemoryRequestBytes = memoryRequest, Gpus = gpus };
            if (limits.GetErrors().Count == 0)
            {
                return limits;
            }
        }

        return null;
    }

    private static bool TryOptional(string[] parts, int index, out double? value)
    {
        value = null;
        if (parts.Length <= index || parts[index].Length == 0)
        {
            return true;
        }

        var ok = double.TryParse(parts[index], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed);
        value = parsed;
        return ok;
    }

    private static bool TryOptional(string[] parts, int index, out long? value)
    {
        value = null;
        if (parts.Length <= index || parts[index].Length == 0)
        {
            return true;
        }

        var ok = long.TryParse(parts[index], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed);
        value = parsed;
        return ok;
    }

    private static bool TryGpus(string[] parts, out int gpus)
    {
        gpus = 0;
        return parts.Length < 6 || int.TryParse(parts[5], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out gpus);
    }

    public static string Encode(string value) => SessionRecordCodec.Encode(value);

    public static string? Decode(string? value) => SessionRecordCodec.Decode(value);
}
