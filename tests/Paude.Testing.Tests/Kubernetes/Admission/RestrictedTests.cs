using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Admission;

/// <summary>OpenShift restricted-v2 admission: arbitrary UID with GID 0, and the SCC rejection shape.</summary>
public sealed class RestrictedTests(RestrictedServerFixture fx) : IClassFixture<RestrictedServerFixture>
{
    [Fact]
    public async Task Pods_get_a_uid_from_the_namespace_range_with_gid_0()
    {
        var ns = await fx.Client.CoreV1.ReadNamespaceAsync("paude");
        var range = ns.Metadata.Annotations["openshift.io/sa.scc.uid-range"];
        var start = long.Parse(range.Split('/')[0]);
        Assert.InRange(start, 1_000_000_000, 2_000_000_000);
        var name = $"r-{Guid.NewGuid().ToString("N")[..6]}";
        var created = await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name), "paude");
        Assert.Equal(start, created.Spec.Containers[0].SecurityContext.RunAsUser);
        Assert.Equal("restricted-v2", created.Metadata.Annotations["openshift.io/scc"]);
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), p => p.Status?.Phase == "Running", "running");
        Assert.Equal($"{start}:0", (await fx.Kubectl.OkAsync("-n", "paude", "exec", name, "--", "sh", "-c", "echo $(id -u):$(id -g)")).Trim());
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }

    [Fact]
    public async Task Root_privileged_and_added_capabilities_are_forbidden_like_OpenShift()
    {
        var pod = Manifests.Pod("bad");
        pod.Spec.Containers[0].SecurityContext = new V1SecurityContext { RunAsUser = 0, Privileged = true, AllowPrivilegeEscalation = true, Capabilities = new V1Capabilities { Add = ["NET_ADMIN"] } };
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude"));
        Assert.Equal(HttpStatusCode.Forbidden, e.Response.StatusCode);
        var body = JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("Forbidden", (string?)body["reason"]);
        var message = (string)body["message"]!;
        Assert.StartsWith("pods \"bad\" is forbidden: unable to validate against any security context constraint: [", message, StringComparison.Ordinal);
        Assert.Contains("provider restricted-v2: .containers[0].runAsUser: Invalid value: 0: must be in the ranges: [", message, StringComparison.Ordinal);
        Assert.Contains("provider restricted-v2: .containers[0].privileged: Invalid value: true: Privileged containers are not allowed", message, StringComparison.Ordinal);
        Assert.Contains("provider restricted-v2: .containers[0].allowPrivilegeEscalation: Invalid value: true: Allowing privilege escalation for containers is not allowed", message, StringComparison.Ordinal);
        Assert.Contains("provider restricted-v2: .containers[0].capabilities.add: Invalid value: \"NET_ADMIN\": capability may not be added", message, StringComparison.Ordinal);
        Assert.Empty((await fx.Client.CoreV1.ListNamespacedPodAsync("paude", fieldSelector: "metadata.name=bad")).Items);
    }
}
