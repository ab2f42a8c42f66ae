using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;
using Paude.TestSupport;

namespace Paude.Tests.Kubernetes.Registry;

/// <summary>
/// The served registry with real clients: the real <c>podman push</c> into it (refused without the login), then pods
/// whose image names it, pulled by the runtime with the pod's pull secret only (made by the real <c>kubectl create
/// secret docker-registry</c>): a pod without it is refused even after another pod pulled the same image.
/// </summary>
public sealed class RegistryPushPullTests(RegistryServerFixture fx) : IClassFixture<RegistryServerFixture>, IDisposable
{
    private const string Ns = "paude";
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-registry-test-").FullName;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private string AuthFile(string? password)
    {
        var auths = new JsonObject();
        if (password is not null)
        {
            auths[fx.Server.RegistryAddress!] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{RegistryServerFixture.Registry.Username}:{password}")) };
        }

        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, new JsonObject { ["auths"] = auths }.ToJsonString());
        return path;
    }

    private static V1Pod Pod(string name, string image, string? pullSecret) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = image, Command = ["sleep", "infinity"] }],
            ImagePullSecrets = pullSecret is null ? null : [new V1LocalObjectReference { Name = pullSecret }],
            TerminationGracePeriodSeconds = 0,
        },
    };

    [Fact]
    public async Task Podman_pushes_and_only_pods_with_the_pull_secret_run_the_pushed_image()
    {
        var image = $"{fx.Server.RegistryAddress}/team/{Unique("base")}:t1";
        var digestFile = Path.Combine(_dir, "digest");

        // Without the login: refused by the registry.
        var denied = await Podman.RunAsync(["push", "--tls-verify=false", "--authfile", AuthFile(null), Manifests.Image, image]);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("unauthorized", denied.StandardError, StringComparison.OrdinalIgnoreCase);

        var pushed = await Podman.RunAsync(["push", "--tls-verify=false", "--authfile", AuthFile(RegistryServerFixture.Registry.Password), "--digestfile", digestFile, Manifests.Image, image]);
        Assert.True(pushed.ExitCode == 0, pushed.StandardError);
        var digest = File.ReadAllText(digestFile).Trim();
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);
        var byDigest = $"{image[..image.LastIndexOf(':')]}@{digest}";

        var secret = Unique("regcred");
        await fx.Kubectl.OkAsync("-n", Ns, "create", "secret", "docker-registry", secret,
            "--docker-server", fx.Server.RegistryAddress!, "--docker-username", RegistryServerFixture.Registry.Username, "--docker-password", RegistryServerFixture.Registry.Password);
        var (byTag, byDigestPod, without) = (Unique("rt"), Unique("rd"), Unique("rn"));
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(byTag, image, secret), Ns);
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(byDigestPod, byDigest, secret), Ns);
        try
        {
            foreach (var pod in new[] { byTag, byDigestPod })
            {
                await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, Ns), p => p.Status?.Phase == "Running", $"pod {pod} running");
                Assert.Equal("ok", (await fx.Kubectl.OkAsync("-n", Ns, "exec", pod, "--", "sh", "-c", "echo ok")).Trim());
            }

            Assert.Equal($"{image} {secret}", (await fx.Kubectl.OkAsync("-n", Ns, "get", "pod", byTag, "-o", "jsonpath={.spec.containers[0].image} {.spec.imagePullSecrets[0].name}")).Trim());
            var pulled = await fx.Kubectl.OkAsync("-n", Ns, "get", "events", "--field-selector", $"involvedObject.name={byDigestPod}", "-o", "jsonpath={.items[*].message}");
            Assert.Contains($"Successfully pulled image \"{byDigest}\"", pulled, StringComparison.Ordinal);

            // The image is on the node now; a pod without the secret is still refused.
            await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(without, image, null), Ns);
            await Wait.UntilAsync(
                async () => (await fx.Client.CoreV1.ReadNamespacedPodAsync(without, Ns)).Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason,
                r => r is "ErrImagePull" or "ImagePullBackOff",
                $"pod {without} refused its image");
            var events = await fx.Kubectl.OkAsync("-n", Ns, "get", "events", "--field-selector", $"involvedObject.name={without}", "-o", "jsonpath={.items[*].message}");
            Assert.Contains("unauthorized", events, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(RegistryServerFixture.Registry.Password, events, StringComparison.Ordinal);
            Assert.Equal("Pending", (await fx.Client.CoreV1.ReadNamespacedPodAsync(without, Ns)).Status.Phase);
        }
        finally
        {
            foreach (var pod in new[] { byTag, byDigestPod, without })
            {
                await fx.Kubectl.RunAsync(["-n", Ns, "delete", "pod", pod, "--wait=false", "--ignore-not-found"]);
            }
        }
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
