using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Store;

/// <summary>
/// DELETE answers as a real apiserver gives them: the object for registries with ReturnDeletedObject (pods, services,
/// PVCs, service accounts, namespaces) or while it is still there (grace, finalizers, foreground), else a Success
/// Status; propagation policies; namespace termination. Checked with KubernetesClient's typed Delete* methods (which
/// deserialize the body), raw HTTP and the real kubectl.
/// </summary>
public sealed class DeleteTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<(HttpStatusCode Code, JsonObject Body)> RawDeleteAsync(string path, string? options = null)
    {
        using var http = new HttpClient { BaseAddress = fx.Server.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Delete, path);
        if (options is not null)
        {
            request.Content = new StringContent(options, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task GoneAsync(Func<Task> read, string what) =>
        await Wait.UntilAsync(async () =>
        {
            try
            {
                await read();
                return false;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return true;
            }
        }, gone => gone, what);

    [Fact]
    public async Task Typed_deletes_get_the_object_or_a_Success_status_like_a_real_apiserver()
    {
        var name = Unique("d");
        var pod = await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name), "paude");
        var deletedPod = await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
        Assert.Equal(("Pod", pod.Metadata.Uid), (deletedPod.Kind, deletedPod.Metadata.Uid));
        Assert.NotNull(deletedPod.Metadata.DeletionTimestamp); // graceful: still there, marked
        Assert.Equal(1, deletedPod.Metadata.DeletionGracePeriodSeconds); // the pod's terminationGracePeriodSeconds
        await GoneAsync(() => fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), "pod gone after its grace");

        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name + "f"), "paude");
        var forced = await fx.Client.CoreV1.DeleteNamespacedPodAsync(name + "f", "paude", gracePeriodSeconds: 0);
        Assert.Equal("Pod", forced.Kind);
        await Assert.ThrowsAsync<HttpOperationException>(() => fx.Client.CoreV1.ReadNamespacedPodAsync(name + "f", "paude")); // grace 0: gone at once

        var svc = await fx.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = name }, Ports = [new V1ServicePort { Port = 80 }] } }, "paude");
        var deletedSvc = await fx.Client.CoreV1.DeleteNamespacedServiceAsync(name, "paude");
        Assert.Equal(("Service", svc.Metadata.Uid, svc.Spec.ClusterIP), (deletedSvc.Kind, deletedSvc.Metadata.Uid, deletedSvc.Spec.ClusterIP));

        var pvc = await fx.Client.CoreV1.CreateNamespacedPersistentVolumeClaimAsync(new V1PersistentVolumeClaim { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1PersistentVolumeClaimSpec { AccessModes = ["ReadWriteOnce"], Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } } } }, "paude");
        var deletedPvc = await fx.Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(name, "paude");
        Assert.Equal(("PersistentVolumeClaim", pvc.Metadata.Uid), (deletedPvc.Kind, deletedPvc.Metadata.Uid));

        var map = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, "paude");
        var mapStatus = await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync(name, "paude");
        Assert.Equal(("Status", "Success", name, "configmaps", map.Metadata.Uid, (string?)null), (mapStatus.Kind, mapStatus.Status, mapStatus.Details.Name, mapStatus.Details.Kind, mapStatus.Details.Uid, mapStatus.Details.Group));

        var sts = await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet(name, replicas: 0), "paude");
        var stsStatus = await fx.Client.AppsV1.DeleteNamespacedStatefulSetAsync(name, "paude", propagationPolicy: "Background");
        Assert.Equal(("Success", "apps", "statefulsets", sts.Metadata.Uid), (stsStatus.Status, stsStatus.Details.Group, stsStatus.Details.Kind, stsStatus.Details.Uid));

        var policy = await fx.Client.NetworkingV1.CreateNamespacedNetworkPolicyAsync(new V1NetworkPolicy { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector() } }, "paude");
        var policyStatus = await fx.Client.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, "paude");
        Assert.Equal(("networking.k8s.io", "networkpolicies", policy.Metadata.Uid), (policyStatus.Details.Group, policyStatus.Details.Kind, policyStatus.Details.Uid));

        var (code, body) = await RawDeleteAsync($"api/v1/namespaces/paude/configmaps/{name}");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal($"configmaps \"{name}\" not found", (string?)body["message"]);
        var (bad, invalid) = await RawDeleteAsync($"api/v1/namespaces/paude/services/{name}", "{\"propagationPolicy\":\"Sideways\"}");
        Assert.Equal((HttpStatusCode)422, bad);
        Assert.Equal("Invalid", (string?)invalid["reason"]);
    }

    [Fact]
    public async Task Foreground_keeps_the_owner_until_its_pods_are_gone_and_orphan_keeps_the_dependents()
    {
        var name = Unique("fg");
        await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet(name), "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync($"{name}-0", "paude"), p => p.Status?.Phase == "Running", "pod running");
        var (code, owner) = await RawDeleteAsync($"apis/apps/v1/namespaces/paude/statefulsets/{name}", "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Foreground\"}");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("StatefulSet", (string?)owner["kind"]);
        Assert.Equal("foregroundDeletion", (string?)owner["metadata"]!["finalizers"]![0]);
        Assert.NotNull(owner["metadata"]!["deletionTimestamp"]);
        Assert.NotNull(await fx.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, "paude")); // waits for its pod
        await GoneAsync(() => fx.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, "paude"), "owner gone after its pod");
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items);
        await fx.Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync($"data-{name}-0", "paude");

        // kubectl --cascade=orphan: the pod stays, without its owner reference.
        var orphan = Unique("or");
        await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet(orphan), "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync($"{orphan}-0", "paude"), p => p.Status?.Phase == "Running", "pod running");
        Assert.Equal($"statefulset.apps \"{orphan}\" deleted\n", await fx.Kubectl.OkAsync("-n", "paude", "delete", "statefulset", orphan, "--cascade=orphan"));
        await Task.Delay(1000);
        var kept = await fx.Client.CoreV1.ReadNamespacedPodAsync($"{orphan}-0", "paude");
        Assert.Null(kept.Metadata.DeletionTimestamp);
        Assert.Empty(kept.Metadata.OwnerReferences ?? []);
        Assert.Equal($"pod \"{orphan}-0\" deleted\n", await fx.Kubectl.OkAsync("-n", "paude", "delete", "pod", $"{orphan}-0"));
        await Assert.ThrowsAsync<HttpOperationException>(() => fx.Client.CoreV1.ReadNamespacedPodAsync($"{orphan}-0", "paude")); // kubectl waited for it
    }

    [Fact]
    public async Task Namespace_delete_returns_it_terminating_refuses_new_content_and_removes_it_with_its_pods()
    {
        var ns = Unique("ns");
        await fx.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod("p"), ns);
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync("p", ns), p => p.Status?.Phase == "Running", "pod running");

        var (code, body) = await RawDeleteAsync($"api/v1/namespaces/{ns}");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Namespace", (string?)body["kind"]);
        Assert.Equal("Terminating", (string?)body["status"]!["phase"]);
        Assert.NotNull(body["metadata"]!["deletionTimestamp"]);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, ns));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content);
        Assert.Equal($"configmaps \"late\" is forbidden: unable to create new content in namespace {ns} because it is being terminated", status.Message);
        Assert.Equal("NamespaceTerminating", status.Details.Causes.Single().Reason);

        await GoneAsync(() => fx.Client.CoreV1.ReadNamespaceAsync(ns), "namespace gone once its pod is");
        Assert.Empty(await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.kubetest.pod={ns}/p"));

        var other = Unique("ns");
        await fx.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = other } });
        Assert.Equal($"namespace \"{other}\" deleted\n", await fx.Kubectl.OkAsync("delete", "namespace", other));
        await Assert.ThrowsAsync<HttpOperationException>(() => fx.Client.CoreV1.ReadNamespaceAsync(other));
    }

    [Fact]
    public async Task A_dependent_whose_owners_are_all_gone_is_garbage_collected_and_one_with_a_live_owner_stays()
    {
        var owner = Unique("owner");
        var live = await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = owner } }, "paude");
        V1OwnerReference Ref(string name, string uid) => new() { ApiVersion = "v1", Kind = "ConfigMap", Name = name, Uid = uid };

        // Created by the real kubectl, as a controller working from a stale snapshot would: the owner's uid no longer exists.
        var orphan = Unique("orphan");
        var manifest = $$$"""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{orphan}}}","ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"gone","uid":"{{{Guid.NewGuid()}}}"}]}}
            """;
        var created = await fx.Kubectl.RunAsync(["-n", "paude", "create", "--validate=false", "-f", "-"], Kubectl.Utf8(manifest));
        Assert.Equal((0, $"configmap/{orphan} created\n", ""), (created.ExitCode, created.StdOut, created.StdErr));
        var kept = Unique("kept");
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = kept, OwnerReferences = [Ref("gone", Guid.NewGuid().ToString()), Ref(owner, live.Metadata.Uid)] } }, "paude");

        await GoneAsync(() => fx.Client.CoreV1.ReadNamespacedConfigMapAsync(orphan, "paude"), "the orphan collected");
        var after = await fx.Kubectl.RunAsync(["-n", "paude", "get", "configmap", orphan]);
        Assert.Equal((1, $"Error from server (NotFound): configmaps \"{orphan}\" not found\n"), (after.ExitCode, after.StdErr));
        Assert.Equal(kept, (await fx.Client.CoreV1.ReadNamespacedConfigMapAsync(kept, "paude")).Metadata.Name);
    }
}
