using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Store;

/// <summary>Small accessors over the JSON object model the store keeps.</summary>
internal static class Meta
{
    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }

        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Str(this JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string Name(this JsonObject obj) => obj.Metadata().Str("name") ?? "";

    public static string? Namespace(this JsonObject obj) => obj.Metadata().Str("namespace");

    public static string Uid(this JsonObject obj) => obj.Metadata().Str("uid") ?? "";

    public static long ResourceVersion(this JsonObject obj) =>
        long.TryParse(obj.Metadata().Str("resourceVersion"), out var rv) ? rv : 0;

    public static JsonObject Obj(this JsonObject parent, string property)
    {
        if (parent[property] is JsonObject o)
        {
            return o;
        }

        var created = new JsonObject();
        parent[property] = created;
        return created;
    }

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject obj) => StringMap(obj.Metadata()["labels"]);

    public static Dictionary<string, string> StringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                if (v is JsonValue value && value.TryGetValue<string>(out var s))
                {
                    map[k] = s;
                }
            }
        }

        return map;
    }

    public static int Int(this JsonNode? node, string property, int fallback)
    {
        if (node is JsonObject o && o[property] is JsonValue v)
        {
            if (v.TryGetValue<int>(out var i))
            {
                return i;
            }

            if (v.TryGetValue<long>(out var l))
            {
                return (int)l;
            }

            if (v.TryGetValue<double>(out var d))
            {
                return (int)d;
            }
        }

        return fallback;
    }

    public static IEnumerable<JsonObject> Objects(this JsonNode? node) =>
        node is JsonArray a ? a.OfType<JsonObject>() : [];

    /// <summary>Follows a dotted path such as <c>status.phase</c> or <c>involvedObject.name</c>.</summary>
    public static string? Path(this JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v => v.ToJsonString(),
            _ => null,
        };
    }

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
