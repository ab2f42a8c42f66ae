using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Api;

/// <summary>The real kubectl as an independent oracle of the wire format.</summary>
public sealed class KubectlTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<string> RunningStatefulSetAsync()
    {
        var name = Unique("kc");
        await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet(name, command: ["sh", "-c", "echo started-$(id -u); exec sleep infinity"]), "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync($"{name}-0", "paude"), p => p.Status?.Phase == "Running", "pod running");
        return name;
    }

    [Fact]
    public async Task Get_json_yaml_describe_logs_exec_cp_scale_delete()
    {
        var name = await RunningStatefulSetAsync();
        var pod = $"{name}-0";

        var json = JsonNode.Parse(await fx.Kubectl.OkAsync("-n", "paude", "get", "pod", pod, "-o", "json"))!;
        Assert.Equal("Pod", (string?)json["kind"]);
        Assert.Equal("Running", (string?)json["status"]!["phase"]);
        var yaml = await fx.Kubectl.OkAsync("-n", "paude", "get", "statefulset", name, "-o", "yaml");
        Assert.Contains("kind: StatefulSet", yaml, StringComparison.Ordinal);
        Assert.Contains($"name: {name}", yaml, StringComparison.Ordinal);
        var table = await fx.Kubectl.OkAsync("-n", "paude", "get", "pods,pvc,sts", "-l", $"app={name}");
        Assert.Contains(pod, table, StringComparison.Ordinal);
        Assert.Contains($"data-{pod}", table, StringComparison.Ordinal);

        var describe = await fx.Kubectl.OkAsync("-n", "paude", "describe", "pod", pod);
        Assert.Contains("Status:", describe, StringComparison.Ordinal);
        Assert.Contains("Running", describe, StringComparison.Ordinal);
        Assert.Contains("Started", describe, StringComparison.Ordinal); // the Started event

        // The line goes through conmon into the log a moment after the container started: waited for, bounded.
        await Wait.UntilAsync(() => fx.Kubectl.OkAsync("-n", "paude", "logs", pod), logs => logs == "started-0\n", "kubectl logs shows the container's first line");

        var (code, stdout, stderr) = await fx.Kubectl.RunAsync(["-n", "paude", "exec", "-i", pod, "--", "sh", "-c", "wc -c; exit 4"], Kubectl.Utf8("12345"));
        Assert.Equal(4, code);
        Assert.Equal("5", stdout.Trim());
        Assert.Contains("command terminated with exit code 4", stderr, StringComparison.Ordinal);

        // cp both ways (kubectl runs tar in the pod over exec).
        var dir = Directory.CreateTempSubdirectory("kt-cp-").FullName;
        try
        {
            var local = Path.Combine(dir, "in.txt");
            await File.WriteAllTextAsync(local, "copied in\n");
            await fx.Kubectl.OkAsync("-n", "paude", "cp", local, $"{pod}:/data/in.txt");
            Assert.Equal("copied in\n", await fx.Kubectl.OkAsync("-n", "paude", "exec", pod, "--", "cat", "/data/in.txt"));
            var back = Path.Combine(dir, "back.txt");
            await fx.Kubectl.OkAsync("-n", "paude", "cp", $"{pod}:/data/in.txt", back);
            Assert.Equal("copied in\n", await File.ReadAllTextAsync(back));
        }
        finally
        {
            Directory.Delete(dir, true);
        }

        await fx.Kubectl.OkAsync("-n", "paude", "scale", "statefulset", name, "--replicas=0");
        Assert.Equal(0, (await fx.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, "paude")).Spec.Replicas);
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "scaled to 0");

        await fx.Kubectl.OkAsync("-n", "paude", "delete", "statefulset", name);
        var (nf, _, err) = await fx.Kubectl.RunAsync(["-n", "paude", "get", "statefulset", name]);
        Assert.Equal(1, nf);
        Assert.Contains($"Error from server (NotFound): statefulsets.apps \"{name}\" not found", err, StringComparison.Ordinal);
        await fx.Kubectl.OkAsync("-n", "paude", "delete", "pvc", $"data-{pod}");
    }

    [Fact]
    public async Task Scale_a_deployment_through_its_scale_subresource_and_wait_for_its_deletion()
    {
        var name = Unique("kd");
        await fx.Kubectl.OkAsync("-n", "paude", "create", "deployment", name, $"--image={Manifests.Image}", "--", "sleep", "infinity");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items, p => p.Count == 1 && p[0].Status?.Phase == "Running", "deployment pod running");

        Assert.Equal($"deployment.apps/{name} scaled\n", await fx.Kubectl.OkAsync("-n", "paude", "scale", "deployment", name, "--replicas=0"));
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "scaled to 0");
        var scale = JsonNode.Parse(await fx.Kubectl.OkAsync("-n", "paude", "get", "deployment", name, "--subresource=scale", "-o", "json"))!;
        Assert.Equal(("Scale", "autoscaling/v1", 0), ((string?)scale["kind"], (string?)scale["apiVersion"], (int?)scale["spec"]!["replicas"] ?? 0));

        await fx.Kubectl.OkAsync("-n", "paude", "scale", "deployment", name, "--replicas=1");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items, p => p.Count == 1 && p[0].Status?.Phase == "Running", "scaled back to 1");
        Assert.Equal($"deployment.apps \"{name}\" deleted\n", await fx.Kubectl.OkAsync("-n", "paude", "delete", "deployment", name, "--wait=true"));
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "pods gone with the deployment");
    }
}
