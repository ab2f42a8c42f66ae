using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Api;

/// <summary>The discovery documents kubectl and client libraries read before anything else.</summary>
internal static class Discovery
{
    public const string GitVersion = "v1.30.0-paude-test";

    public static JsonObject Version() => new()
    {
        ["major"] = "1",
        ["minor"] = "30",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "0000000000000000000000000000000000000000",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-01-01T00:00:00Z",
        ["goVersion"] = "go1.22.0",
        ["compiler"] = "gc",
        ["platform"] = "linux/amd64",
    };

    public static JsonObject ApiVersions() => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
    };

    public static JsonObject ApiGroupList()
    {
        var groups = new JsonArray();
        foreach (var g in ResourceTypes.Groups)
        {
            groups.Add(Group(g));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject Group(string group) => new()
    {
        ["kind"] = "APIGroup",
        ["apiVersion"] = "v1",
        ["name"] = group,
        ["versions"] = new JsonArray(new JsonObject { ["groupVersion"] = $"{group}/v1", ["version"] = "v1" }),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/v1", ["version"] = "v1" },
    };

    public static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var r in ResourceTypes.All.Where(r => r.Group == group && r.Version == version))
        {
            resources.Add(new JsonObject
            {
                ["name"] = r.Plural,
                ["singularName"] = r.Singular,
                ["namespaced"] = r.Namespaced,
                ["kind"] = r.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
                ["shortNames"] = new JsonArray(r.ShortNames.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["storageVersionHash"] = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(r.Qualified)))[..11],
            });
            foreach (var sub in r.Subresources)
            {
                var (kind, group2, verbs) = sub switch
                {
                    "scale" => ("Scale", "autoscaling", new JsonArray("get", "patch", "update")),
                    "exec" or "attach" => ("PodExecOptions", "", new JsonArray("create", "get")),
                    "portforward" => ("PodPortForwardOptions", "", new JsonArray("create", "get")),
                    "log" when r == ResourceTypes.Builds => ("BuildLog", "", new JsonArray("get")),
                    "log" => ("Pod", "", new JsonArray("get")),
                    "instantiatebinary" => ("BinaryBuildRequestOptions", "", new JsonArray("create")),
                    _ => (r.Kind, r.Group, new JsonArray("get", "patch", "update")),
                };
                var entry = new JsonObject { ["name"] = $"{r.Plural}/{sub}", ["singularName"] = "", ["namespaced"] = r.Namespaced, ["kind"] = kind, ["verbs"] = verbs };
                if (group2 == "autoscaling")
                {
                    entry["group"] = "autoscaling";
                    entry["version"] = "v1";
                }

                resources.Add(entry);
            }
        }

        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }
}
