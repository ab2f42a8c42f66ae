using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// The JSON this backend writes itself (the agent argv annotation, merge patches), generated at compile time or built
/// as <see cref="JsonNode"/>s: no reflection in Paude's own code (KubernetesClient's model serialization is its own).
/// </summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class OpenShiftJson : JsonSerializerContext
{
    /// <summary>A merge patch <c>{"a":{"b":{…: {k: v}}}}</c>: <paramref name="values"/> nested under <paramref name="path"/>.</summary>
    public static string MergePatch(IReadOnlyDictionary<string, string> values, params string[] path)
    {
        var node = new JsonObject();
        foreach (var (key, value) in values)
        {
            node[key] = value;
        }

        for (var i = path.Length - 1; i >= 0; i--)
        {
            node = new JsonObject { [path[i]] = node };
        }

        return node.ToJsonString();
    }
}
