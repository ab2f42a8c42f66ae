using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// Mounted Secret/ConfigMap volumes follow their objects like a kubelet's (atomic writer: <c>..data</c> symlink swap),
/// checked inside the running container: new content within a bounded wait, modes kept, a reader never sees a mix;
/// a subPath mount keeps its content.
/// </summary>
public sealed class VolumeRefreshTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Big(char c) => new(c, 256 * 1024);

    private static string Sha(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text))).ToLowerInvariant();

    private Task<string> ExecAsync(string pod, string script) => fx.Kubectl.OkAsync("-n", "paude", "exec", pod, "--", "sh", "-c", script);

    [Fact]
    public async Task Changed_configmap_and_secret_reach_the_running_container_atomically_with_their_modes()
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        var (map, secret, name) = ($"cfg-{id}", $"sec-{id}", $"refresh-{id}");
        await fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = map }, Data = new Dictionary<string, string> { ["app.conf"] = Big('a') } }, "paude");
        await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = secret }, StringData = new Dictionary<string, string> { ["token"] = "t1" } }, "paude");
        var pod = Manifests.Pod(name, command: ["sh", "-c", "while true; do sha256sum < /etc/cfg/app.conf | cut -d' ' -f1 >> /tmp/seen; done"]);
        pod.Spec.Volumes =
        [
            new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = map, DefaultMode = 0x1a0 } },
            new V1Volume { Name = "sec", Secret = new V1SecretVolumeSource { SecretName = secret, Items = [new V1KeyToPath { Key = "token", Path = "dir/token", Mode = 0x180 }] } },
        ];
        pod.Spec.Containers[0].VolumeMounts =
        [
            new V1VolumeMount { Name = "cfg", MountPath = "/etc/cfg" },
            new V1VolumeMount { Name = "sec", MountPath = "/secret" },
            new V1VolumeMount { Name = "cfg", MountPath = "/pinned.conf", SubPath = "app.conf" },
        ];
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), p => p.Status?.Phase == "Running", "running");

        // The kubelet's layout: top-level names are symlinks through ..data into a timestamped directory.
        Assert.Equal("..data/app.conf\n..data/dir\n", await ExecAsync(name, "readlink /etc/cfg/app.conf; readlink /secret/dir"));
        Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\w+\n$", await ExecAsync(name, "readlink /etc/cfg/..data"));

        await fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = map }, Data = new Dictionary<string, string> { ["app.conf"] = Big('b'), ["extra.conf"] = "x=1\n" } }, map, "paude");
        await fx.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("{\"stringData\":{\"token\":\"t2\"}}", V1Patch.PatchType.MergePatch), secret, "paude");
        await Wait.UntilAsync(() => ExecAsync(name, "sha256sum < /etc/cfg/app.conf | cut -d' ' -f1; cat /secret/dir/token"), s => s == $"{Sha(Big('b'))}\nt2", "new content in the container", TimeSpan.FromSeconds(30));
        Assert.Equal("640\n640\n600\nx=1\n", await ExecAsync(name, "stat -L -c %a /etc/cfg/app.conf /etc/cfg/extra.conf /secret/dir/token; cat /etc/cfg/extra.conf"));
        Assert.Equal(Sha(Big('a')) + "\n", await ExecAsync(name, "sha256sum < /pinned.conf | cut -d' ' -f1")); // subPath: not refreshed

        // The reader loop has read version b at least once before it is replaced (it may be starved on a loaded machine).
        await Wait.UntilAsync(() => ExecAsync(name, "sort -u /tmp/seen"), s => s.Contains(Sha(Big('b')), StringComparison.Ordinal), "the reader saw version b", TimeSpan.FromSeconds(30));

        // A key removed from the object disappears from the volume.
        await fx.Client.CoreV1.ReplaceNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = map }, Data = new Dictionary<string, string> { ["app.conf"] = Big('c') } }, map, "paude");
        await Wait.UntilAsync(() => ExecAsync(name, "ls /etc/cfg"), s => s == "app.conf\n", "extra.conf removed", TimeSpan.FromSeconds(30));

        // The reader loop only ever saw whole versions.
        var seen = (await ExecAsync(name, "sort -u /tmp/seen")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Subset(new HashSet<string> { Sha(Big('a')), Sha(Big('b')), Sha(Big('c')) }, seen.ToHashSet());
        Assert.Contains(Sha(Big('b')), seen);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }
}
