using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Store;

/// <summary>Object store semantics through KubernetesClient over real HTTP, compared with what a real apiserver answers.</summary>
public sealed class ApiSemanticsTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private static async Task<(HttpStatusCode Code, JsonObject Body)> FailureAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return (e.Response.StatusCode, (JsonObject)JsonNode.Parse(e.Response.Content)!);
    }

    [Fact]
    public async Task Created_objects_carry_kind_uid_resource_version_and_timestamps()
    {
        var name = Unique("cm");
        var created = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["a"] = "1" } }, "paude");
        Assert.Equal("ConfigMap", created.Kind);
        Assert.Equal("v1", created.ApiVersion);
        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.True(long.Parse(created.Metadata.ResourceVersion) > 0);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal("paude", created.Metadata.NamespaceProperty);

        var sts = await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(new V1StatefulSet
        {
            Metadata = new V1ObjectMeta { Name = Unique("sts") },
            Spec = new V1StatefulSetSpec
            {
                Replicas = 0,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "x" } },
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "x" } }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "localhost/paude-base:ci" }] } },
            },
        }, "paude");
        Assert.Equal("apps/v1", sts.ApiVersion);
        Assert.Equal(1, sts.Metadata.Generation);
        var patched = await fx.Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("{\"spec\":{\"replicas\":0,\"template\":{\"metadata\":{\"annotations\":{\"x\":\"1\"}}}}}", V1Patch.PatchType.MergePatch), sts.Metadata.Name, "paude");
        Assert.Equal(2, patched.Metadata.Generation);
        Assert.True(long.Parse(patched.Metadata.ResourceVersion) > long.Parse(sts.Metadata.ResourceVersion));
    }

    [Fact]
    public async Task Missing_object_is_404_NotFound_Status()
    {
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.ReadNamespacedSecretAsync("nope", "paude"));
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("Status", (string?)body["kind"]);
        Assert.Equal("Failure", (string?)body["status"]);
        Assert.Equal("NotFound", (string?)body["reason"]);
        Assert.Equal("secrets \"nope\" not found", (string?)body["message"]);
        Assert.Equal(404, (int?)body["code"]);
        Assert.Equal("secrets", (string?)body["details"]!["kind"]);

        var (_, apps) = await FailureAsync(() => fx.Client.AppsV1.ReadNamespacedStatefulSetAsync("nope", "paude"));
        Assert.Equal("statefulsets.apps \"nope\" not found", (string?)apps["message"]);
        Assert.Equal("apps", (string?)apps["details"]!["group"]);
    }

    [Fact]
    public async Task Create_in_a_missing_namespace_is_404_for_the_namespace()
    {
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "no-such-ns"));
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("namespaces \"no-such-ns\" not found", (string?)body["message"]);
    }

    [Fact]
    public async Task Duplicate_create_is_409_AlreadyExists()
    {
        var name = Unique("dup");
        await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name } }, "paude");
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = name } }, "paude"));
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("AlreadyExists", (string?)body["reason"]);
        Assert.Equal($"secrets \"{name}\" already exists", (string?)body["message"]);
    }

    [Fact]
    public async Task Stale_resource_version_is_409_Conflict_and_changes_nothing()
    {
        var name = Unique("occ");
        var first = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["v"] = "1" } }, "paude");
        first.Data["v"] = "2";
        var second = await fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(first, name, "paude");
        Assert.Equal("2", second.Data["v"]);

        first.Data["v"] = "3"; // still carries the old resourceVersion
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(first, name, "paude"));
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string?)body["reason"]);
        Assert.Equal($"Operation cannot be fulfilled on configmaps \"{name}\": the object has been modified; please apply your changes to the latest version and try again", (string?)body["message"]);
        var now = await fx.Client.CoreV1.ReadNamespacedConfigMapAsync(name, "paude");
        Assert.Equal("2", now.Data["v"]);
        Assert.Equal(second.Metadata.ResourceVersion, now.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Invalid_name_is_422_with_the_DNS1123_cause()
    {
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "Bad_Name" } }, "paude"));
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Invalid", (string?)body["reason"]);
        Assert.Equal("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", (string?)body["message"]);
        var cause = body["details"]!["causes"]![0]!;
        Assert.Equal("FieldValueInvalid", (string?)cause["reason"]);
        Assert.Equal("metadata.name", (string?)cause["field"]);
        Assert.Equal("ConfigMap", (string?)body["details"]!["kind"]);
    }

    [Fact]
    public async Task Secret_and_ConfigMap_over_1MiB_are_rejected_like_the_apiserver()
    {
        var big = new byte[(1024 * 1024) + 1];
        var (code, body) = await FailureAsync(() => fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "big" }, Data = new Dictionary<string, byte[]> { ["k"] = big } }, "paude"));
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Secret \"big\" is invalid: data: Too long: must have at most 1048576 bytes", (string?)body["message"]);
        Assert.Equal("FieldValueTooLong", (string?)body["details"]!["causes"]![0]!["reason"]);

        var (_, cm) = await FailureAsync(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "big" }, Data = new Dictionary<string, string> { ["k"] = new string('x', (1024 * 1024) + 1) } }, "paude"));
        Assert.Equal("ConfigMap \"big\" is invalid: []: Too long: must have at most 1048576 bytes", (string?)cm["message"]);

        // Exactly at the limit is fine.
        var ok = await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = Unique("limit") }, Data = new Dictionary<string, byte[]> { ["k"] = new byte[1024 * 1024] } }, "paude");
        Assert.Equal(1024 * 1024, ok.Data["k"].Length);
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        var tag = Unique("sel");
        foreach (var (name, tier) in new[] { ("a", "web"), ("b", "db"), ("c", "cache") })
        {
            await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"{tag}-{name}", Labels = new Dictionary<string, string> { ["set"] = tag, ["tier"] = tier } } }, "paude");
        }

        async Task<string[]> Names(string? labels, string? fields = null) =>
            (await fx.Client.CoreV1.ListNamespacedConfigMapAsync("paude", labelSelector: labels, fieldSelector: fields)).Items.Select(i => i.Metadata.Name[(tag.Length + 1)..]).ToArray();

        Assert.Equal(["a"], await Names($"set={tag},tier=web"));
        Assert.Equal(["b", "c"], await Names($"set={tag},tier!=web"));
        Assert.Equal(["a", "c"], await Names($"set={tag},tier in (web,cache)"));
        Assert.Equal(["b"], await Names($"set={tag},tier notin (web, cache)"));
        Assert.Equal(["a", "b", "c"], await Names($"set={tag},tier"));
        Assert.Empty(await Names($"set={tag},!tier"));
        Assert.Equal(["b"], await Names($"set={tag}", $"metadata.name={tag}-b"));
        var list = await fx.Client.CoreV1.ListNamespacedConfigMapAsync("paude", labelSelector: $"set={tag}");
        Assert.Equal("ConfigMapList", list.Kind);
        Assert.True(long.Parse(list.Metadata.ResourceVersion) > 0);
    }

    [Fact]
    public async Task Patch_types_merge_strategic_and_json_patch()
    {
        var name = Unique("patch");
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } }, "paude");
        var merged = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"a\":null,\"c\":\"3\"}}", V1Patch.PatchType.MergePatch), name, "paude");
        Assert.Equal(new Dictionary<string, string> { ["b"] = "2", ["c"] = "3" }, merged.Data);
        var strategic = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", V1Patch.PatchType.StrategicMergePatch), name, "paude");
        Assert.Equal("y", strategic.Metadata.Labels["x"]);
        var json = await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("[{\"op\":\"replace\",\"path\":\"/data/b\",\"value\":\"20\"},{\"op\":\"add\",\"path\":\"/data/d\",\"value\":\"4\"},{\"op\":\"remove\",\"path\":\"/data/c\"}]", V1Patch.PatchType.JsonPatch), name, "paude");
        Assert.Equal(new Dictionary<string, string> { ["b"] = "20", ["d"] = "4" }, json.Data);
    }

    [Fact]
    public async Task Delete_returns_Success_status_and_deletecollection_by_label()
    {
        var tag = Unique("del");
        for (var i = 0; i < 3; i++)
        {
            await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"{tag}-{i}", Labels = new Dictionary<string, string> { ["set"] = tag } } }, "paude");
        }

        var status = await fx.Client.CoreV1.DeleteNamespacedSecretAsync($"{tag}-0", "paude");
        Assert.Equal("Success", status.Status);
        await fx.Client.CoreV1.DeleteCollectionNamespacedSecretAsync("paude", labelSelector: $"set={tag}");
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedSecretAsync("paude", labelSelector: $"set={tag}")).Items);
        var (code, _) = await FailureAsync(() => fx.Client.CoreV1.DeleteNamespacedSecretAsync($"{tag}-0", "paude"));
        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Fact]
    public async Task Watch_streams_added_modified_deleted_in_order_from_a_resource_version()
    {
        var tag = Unique("watch");
        var list = await fx.Client.CoreV1.ListNamespacedConfigMapAsync("paude", labelSelector: $"set={tag}");
        var seen = new List<(WatchEventType, string, string)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var done = new TaskCompletionSource();
#pragma warning disable CS0618 // The list-with-watch form.
        var response = fx.Client.CoreV1.ListNamespacedConfigMapWithHttpMessagesAsync("paude", labelSelector: $"set={tag}", resourceVersion: list.Metadata.ResourceVersion, watch: true, cancellationToken: cts.Token);
        using var watcher = response.Watch<V1ConfigMap, V1ConfigMapList>((type, item) =>
        {
            lock (seen)
            {
                seen.Add((type, item.Metadata.Name, (item.Data is { } d && d.TryGetValue("v", out var v) ? v : "")));
                if (type == WatchEventType.Deleted)
                {
                    done.TrySetResult();
                }
            }
        });
#pragma warning restore CS0618
        await Task.Delay(300);
        var name = $"{tag}-x";
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["set"] = tag } }, Data = new Dictionary<string, string> { ["v"] = "1" } }, "paude");
        await fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"v\":\"2\"}}", V1Patch.PatchType.MergePatch), name, "paude");
        await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync(name, "paude");
        await done.Task.WaitAsync(cts.Token);
        Assert.Equal([(WatchEventType.Added, name, "1"), (WatchEventType.Modified, name, "2"), (WatchEventType.Deleted, name, "2")], seen);
    }

    [Fact]
    public async Task Discovery_lists_every_served_resource()
    {
        var core = await fx.Client.CoreV1.GetAPIResourcesAsync();
        Assert.Superset(new HashSet<string> { "namespaces", "pods", "pods/exec", "pods/log", "persistentvolumeclaims", "secrets", "configmaps", "services", "events" }, core.Resources.Select(r => r.Name).ToHashSet());
        var apps = await fx.Client.AppsV1.GetAPIResourcesAsync();
        Assert.Contains(apps.Resources, r => r.Name == "statefulsets/scale");
        var net = await fx.Client.NetworkingV1.GetAPIResourcesAsync();
        Assert.Contains(net.Resources, r => r.Name == "networkpolicies" && r.Namespaced);
        var version = await fx.Client.Version.GetCodeAsync();
        Assert.Equal("1", version.Major);
    }
}
