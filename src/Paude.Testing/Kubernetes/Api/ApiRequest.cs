using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>A parsed resource URL: <c>/api/v1/namespaces/{ns}/{plural}/{name}/{sub}</c> or <c>/apis/{group}/{version}/...</c>.</summary>
internal sealed record ApiRequest(ResourceType Type, string? Namespace, string? Name, string? Subresource, bool WatchPath)
{
    /// <summary>The verb in RBAC/audit terms, used by fault rules: get, list, watch, create, update, patch, delete, deletecollection.</summary>
    public string Verb(string method, bool watchQuery) => method switch
    {
        "GET" when Name is null => WatchPath || watchQuery ? "watch" : "list",
        "GET" => "get",
        "POST" when Subresource is "exec" or "attach" or "portforward" => "create",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" when Name is null => "deletecollection",
        "DELETE" => "delete",
        _ => method.ToLowerInvariant(),
    };

    public static ApiRequest? Parse(string group, string version, string[] segments)
    {
        var watch = false;
        if (segments.Length > 0 && segments[0] == "watch")
        {
            watch = true;
            segments = segments[1..];
        }

        if (segments.Length >= 3 && segments[0] == "namespaces" && ResourceTypes.Find(group, version, segments[2]) is { Namespaced: true } nsType)
        {
            return new ApiRequest(nsType, segments[1], At(segments, 3), At(segments, 4), watch);
        }

        if (segments.Length >= 1 && ResourceTypes.Find(group, version, segments[0]) is { } type)
        {
            return new ApiRequest(type, null, At(segments, 1), At(segments, 2), watch);
        }

        return null;
    }

    private static string? At(string[] s, int i) => i < s.Length && s[i].Length > 0 ? Uri.UnescapeDataString(s[i]) : null;
}
