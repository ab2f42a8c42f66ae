using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>JSON merge patch (RFC 7386), strategic merge (as merge patch, plus merge-by-name for containers/env/volumes) and JSON patch (RFC 6902).</summary>
internal static class Patches
{
    public static JsonObject Apply(JsonObject target, string contentType, string body)
    {
        var media = contentType.Split(';')[0].Trim();
        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw KubeApiException.BadRequest($"error decoding patch: {e.Message}");
        }

        return media switch
        {
            "application/merge-patch+json" => Merge(target, patch, strategic: false) as JsonObject ?? throw KubeApiException.BadRequest("patch must be an object"),
            "application/strategic-merge-patch+json" => Merge(target, patch, strategic: true) as JsonObject ?? throw KubeApiException.BadRequest("patch must be an object"),
            "application/json-patch+json" => JsonPatch(target, patch as JsonArray ?? throw KubeApiException.BadRequest("json patch must be an array")),
            "application/apply-patch+yaml" => throw new KubeApiException(415, "UnsupportedMediaType", "server-side apply is not supported by this test server"),
            _ => throw new KubeApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"),
        };
    }

    private static JsonNode? Merge(JsonNode? target, JsonNode? patch, bool strategic)
    {
        if (patch is not JsonObject p)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : new JsonObject();
        foreach (var (key, value) in p)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else if (strategic && value is JsonArray patchItems && result[key] is JsonArray existing && IsNamedList(patchItems, existing))
            {
                var merged = (JsonArray)existing.DeepClone();
                foreach (var item in patchItems.OfType<JsonObject>())
                {
                    var name = item["name"]?.GetValue<string>();
                    var match = merged.OfType<JsonObject>().FirstOrDefault(e => e["name"]?.GetValue<string>() == name);
                    if (match is null)
                    {
                        merged.Add(item.DeepClone());
                    }
                    else
                    {
                        var index = merged.IndexOf(match);
                        merged[index] = Merge(match, item, strategic);
                    }
                }

                result[key] = merged;
            }
            else
            {
                result[key] = Merge(result[key], value, strategic);
            }
        }

        return result;
    }

    private static bool IsNamedList(JsonArray patch, JsonArray existing) =>
        patch.Count > 0 && patch.All(i => i is JsonObject o && o["name"] is not null) && existing.All(i => i is JsonObject o && o["name"] is not null);

    private static JsonObject JsonPatch(JsonObject target, JsonArray ops)
    {
        JsonNode root = target.DeepClone();
        foreach (var op in ops.OfType<JsonObject>())
        {
            var kind = op["op"]?.GetValue<string>();
            var path = op["path"]?.GetValue<string>() ?? "";
            switch (kind)
            {
                case "add":
                    Set(root, path, op["value"]?.DeepClone(), insert: true);
                    break;
                case "replace":
                    _ = Resolve(root, path) ?? throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: replace operation does not apply: doc is missing key: {path}");
                    Set(root, path, op["value"]?.DeepClone(), insert: false);
                    break;
                case "remove":
                    RemoveAt(root, path);
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Resolve(root, path), op["value"]))
                    {
                        throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                case "copy":
                    Set(root, path, Resolve(root, op["from"]?.GetValue<string>() ?? "")?.DeepClone(), insert: true);
                    break;
                case "move":
                    var from = op["from"]?.GetValue<string>() ?? "";
                    var moved = Resolve(root, from)?.DeepClone();
                    RemoveAt(root, from);
                    Set(root, path, moved, insert: true);
                    break;
                default:
                    throw KubeApiException.BadRequest($"unexpected kind of operation: {kind}");
            }
        }

        return (JsonObject)root;
    }

    private static string[] Tokens(string path) =>
        path.Length == 0 ? [] : path.TrimStart('/').Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Resolve(JsonNode root, string path)
    {
        JsonNode? node = root;
        foreach (var t in Tokens(path))
        {
            node = node switch
            {
                JsonObject o => o[t],
                JsonArray a when int.TryParse(t, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static void Set(JsonNode root, string path, JsonNode? value, bool insert)
    {
        var tokens = Tokens(path);
        var parent = Resolve(root, "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        if (tokens.Length == 1)
        {
            parent = root;
        }

        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                if (insert)
                {
                    a.Insert(i, value);
                }
                else
                {
                    a[i] = value;
                }

                break;
            default:
                throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: add operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static void RemoveAt(JsonNode root, string path)
    {
        var tokens = Tokens(path);
        var parent = tokens.Length == 1 ? root : Resolve(root, "/" + string.Join('/', tokens[..^1]));
        var last = tokens[^1];
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                a.RemoveAt(i);
                break;
            default:
                throw new KubeApiException(422, "Invalid", $"the server rejected our request due to an error in our request: remove operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }
}
