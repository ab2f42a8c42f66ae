using System.Text.Json;
using System.Text.Json.Nodes;

namespace Paude.Credentials.Sources;

/// <summary>
/// Rewrites the absolute host paths Claude Code stores in plugin metadata (<c>installPath</c> in
/// <c>installed_plugins.json</c>, <c>installLocation</c> in <c>known_marketplaces.json</c>, at any depth, for
/// every format version) from the host's Claude folder to the container's.
/// </summary>
internal static class PluginMetadataRewriter
{
    private static readonly HashSet<string> PathProperties = new(StringComparer.Ordinal) { "installPath", "installLocation" };

    /// <summary>Returns the rewritten JSON, or <c>null</c> when <paramref name="json"/> is not valid JSON.</summary>
    public static byte[]? Rewrite(byte[] json, IEnumerable<string> hostRoots, string containerRoot, out int count)
    {
        count = 0;
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return null;
        }

        var roots = hostRoots.OrderByDescending(r => r.Length).ToArray();
        count = Visit(root, roots, containerRoot);
        return Write(root);
    }

    // Written through a writer, not JsonSerializer: no reflection, so the package stays NativeAOT-safe.
    private static byte[] Write(JsonNode? root)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            if (root is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                root.WriteTo(writer);
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static int Visit(JsonNode? node, string[] roots, string containerRoot)
    {
        var count = 0;
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (PathProperties.Contains(key) && value is JsonValue v && v.TryGetValue<string>(out var path) && Map(path, roots, containerRoot) is { } mapped)
                    {
                        obj[key] = mapped;
                        count++;
                    }
                    else
                    {
                        count += Visit(value, roots, containerRoot);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    count += Visit(item, roots, containerRoot);
                }

                break;
        }

        return count;
    }

    private static string? Map(string path, string[] roots, string containerRoot)
    {
        foreach (var root in roots)
        {
            if (path == root)
            {
                return containerRoot;
            }

            if (path.StartsWith(root + "/", StringComparison.Ordinal))
            {
                return containerRoot + path[root.Length..];
            }
        }

        return null;
    }
}
