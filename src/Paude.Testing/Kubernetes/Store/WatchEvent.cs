using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Store;

/// <summary>One change of one object, in the order the store made it (<see cref="ResourceVersion"/> is global).</summary>
internal sealed record WatchEvent(string Type, ResourceType Resource, JsonObject Object, long ResourceVersion)
{
    public string? Namespace => Object["metadata"]?["namespace"]?.GetValue<string>();
}
