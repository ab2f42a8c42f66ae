using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Api;

/// <summary>
/// The real kubectl renders our Status bodies exactly as it renders a real apiserver's: the texts asserted here are
/// kubectl's own formats around the apiserver's messages (NotFound, AlreadyExists, Conflict, Invalid, 1 MiB limit).
/// <c>--validate=false</c>: the server serves no OpenAPI, so kubectl's client-side schema check cannot run.
/// </summary>
public sealed class KubectlErrorTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static byte[] ConfigMap(string name, string? resourceVersion = null, string value = "1")
    {
        var meta = new JsonObject { ["name"] = name };
        if (resourceVersion is not null)
        {
            meta["resourceVersion"] = resourceVersion;
        }

        return Kubectl.Utf8(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["a"] = value } }.ToJsonString());
    }

    private async Task<string> FailsAsync(string[] args, byte[]? stdin = null)
    {
        var (code, stdout, stderr) = await fx.Kubectl.RunAsync(["-n", "paude", .. args], stdin);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} should fail: {stdout}");
        return stderr.Trim();
    }

    [Fact]
    public async Task NotFound_AlreadyExists_Conflict_and_Invalid_read_like_a_real_cluster_in_kubectl()
    {
        var name = $"err-{Guid.NewGuid().ToString("N")[..6]}";
        Assert.Equal($"Error from server (NotFound): configmaps \"{name}\" not found", await FailsAsync(["get", "configmap", name]));
        Assert.Equal($"Error from server (NotFound): configmaps \"{name}\" not found", await FailsAsync(["delete", "configmap", name]));

        Assert.Equal($"configmap/{name} created", (await fx.Kubectl.OkAsync("-n", "paude", "create", "configmap", name, "--from-literal=a=1")).Trim());
        Assert.Equal($"error: failed to create configmap: configmaps \"{name}\" already exists", await FailsAsync(["create", "configmap", name, "--from-literal=a=1"]));
        Assert.Equal($"Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"{name}\" already exists", await FailsAsync(["create", "--validate=false", "-f", "-"], ConfigMap(name)));

        var current = await fx.Client.CoreV1.ReadNamespacedConfigMapAsync(name, "paude");
        await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":\"2\"}}", V1Patch.PatchType.MergePatch), name, "paude");
        Assert.Equal(
            $"Error from server (Conflict): error when replacing \"STDIN\": Operation cannot be fulfilled on configmaps \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            await FailsAsync(["replace", "--validate=false", "-f", "-"], ConfigMap(name, current.Metadata.ResourceVersion, "3")));
        Assert.Equal("2", (await fx.Client.CoreV1.ReadNamespacedConfigMapAsync(name, "paude")).Data["a"]); // nothing changed

        var invalid = await FailsAsync(["create", "--validate=false", "-f", "-"], ConfigMap("Bad_Name"));
        Assert.Equal(
            "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
            invalid);

        var big = Kubectl.Utf8(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = name + "-big" }, ["data"] = new JsonObject { ["a"] = new string('x', 1024 * 1024 + 1) } }.ToJsonString());
        Assert.Equal($"The ConfigMap \"{name}-big\" is invalid: []: Too long: must have at most 1048576 bytes", await FailsAsync(["create", "--validate=false", "-f", "-"], big));
        Assert.Equal($"Error from server (NotFound): configmaps \"{name}-big\" not found", await FailsAsync(["get", "configmap", name + "-big"]));
    }
}
