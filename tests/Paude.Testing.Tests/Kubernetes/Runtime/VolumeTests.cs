using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>Secret/ConfigMap files with their modes and emptyDir Memory as tmpfs, checked inside the real container.</summary>
public sealed class VolumeTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Secret_items_modes_configmap_files_and_memory_emptydir()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"s-{id}" }, StringData = new Dictionary<string, string> { ["token"] = "t0k", ["other"] = "x" } }, "paude");
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"c-{id}" }, Data = new Dictionary<string, string> { ["squid.conf"] = "http_port 3128\n" } }, "paude");
        var pod = Manifests.Pod($"vol-{id}");
        pod.Spec.Volumes =
        [
            new V1Volume { Name = "sec", Secret = new V1SecretVolumeSource { SecretName = $"s-{id}", Items = [new V1KeyToPath { Key = "token", Path = "dir/token", Mode = 0x180 }] } },
            new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = $"c-{id}", DefaultMode = 0x1a4 } },
            new V1Volume { Name = "mem", EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity("8Mi") } },
        ];
        pod.Spec.Containers[0].VolumeMounts =
        [
            new V1VolumeMount { Name = "sec", MountPath = "/secret" },
            new V1VolumeMount { Name = "cfg", MountPath = "/etc/cfg" },
            new V1VolumeMount { Name = "mem", MountPath = "/credentials" },
        ];
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync($"vol-{id}", "paude"), p => p.Status?.Phase == "Running", "running");

        // -L: like a kubelet's volume, top-level names are symlinks (..data layout), the mode is on the target.
        var output = await fx.Kubectl.OkAsync("-n", "paude", "exec", $"vol-{id}", "--", "sh", "-c",
            "stat -c %a /secret/dir/token; cat /secret/dir/token; echo; ls /secret; cat /etc/cfg/squid.conf; stat -L -c %a /etc/cfg/squid.conf; stat -f -c %T /credentials");
        Assert.Equal("600\nt0k\ndir\nhttp_port 3128\n644\ntmpfs\n", output);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync($"vol-{id}", "paude");
    }
}
