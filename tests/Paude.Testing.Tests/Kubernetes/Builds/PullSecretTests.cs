using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Builds;

/// <summary>
/// The test server's private registry: a pod pulls <c>registry.paude.test:5000/…</c> only with a
/// <c>kubernetes.io/dockerconfigjson</c> pull secret holding the registry's credentials (made by the real
/// <c>kubectl create secret docker-registry</c>); without one, or with a wrong password, it is ErrImagePull.
/// </summary>
public sealed class PullSecretTests(RegistryServerFixture fx) : IClassFixture<RegistryServerFixture>
{
    private const string Ns = "paude";

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private static string Image => $"{RegistryServerFixture.Registry.Host}/paude-agent:latest";

    private static V1Pod Pod(string name, string? pullSecret) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = Image, Command = ["sleep", "infinity"] }],
            ImagePullSecrets = pullSecret is null ? null : [new V1LocalObjectReference { Name = pullSecret }],
            TerminationGracePeriodSeconds = 0,
        },
    };

    private async Task<string> PullSecretAsync(string password)
    {
        var name = Unique("regcred");
        await fx.Kubectl.OkAsync("-n", Ns, "create", "secret", "docker-registry", name,
            "--docker-server", RegistryServerFixture.Registry.Host, "--docker-username", RegistryServerFixture.Registry.Username, "--docker-password", password);
        return name;
    }

    private async Task<string?> WaitingReasonAsync(string pod) =>
        await Wait.UntilAsync(
            async () => (await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, Ns)).Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason,
            r => r is "ErrImagePull" or "ImagePullBackOff",
            $"pod {pod} refused its image");

    [Fact]
    public async Task Only_a_pod_with_the_right_pull_secret_runs_the_private_image()
    {
        var good = await PullSecretAsync(RegistryServerFixture.Registry.Password);
        var wrong = await PullSecretAsync("not-the-password");
        Assert.Equal("kubernetes.io/dockerconfigjson", (await fx.Kubectl.OkAsync("-n", Ns, "get", "secret", good, "-o", "jsonpath={.type}")).Trim());

        var none = Unique("pn");
        var bad = Unique("pw");
        var ok = Unique("pk");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(none, null), Ns);
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(bad, wrong), Ns);
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(ok, good), Ns);
        try
        {
            await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(ok, Ns), p => p.Status?.Phase == "Running", $"pod {ok} running");
            Assert.Equal(good, (await fx.Kubectl.OkAsync("-n", Ns, "get", "pod", ok, "-o", "jsonpath={.spec.imagePullSecrets[0].name}")).Trim());
            Assert.Equal("ok", (await fx.Kubectl.OkAsync("-n", Ns, "exec", ok, "--", "sh", "-c", "echo ok")).Trim());

            await WaitingReasonAsync(none);
            await WaitingReasonAsync(bad);
            var events = await fx.Kubectl.OkAsync("-n", Ns, "get", "events", "--field-selector", $"involvedObject.name={bad}", "-o", "jsonpath={.items[*].message}");
            Assert.Contains("unauthorized", events, StringComparison.Ordinal);
            Assert.DoesNotContain(RegistryServerFixture.Registry.Password, events, StringComparison.Ordinal);
            Assert.Equal("Pending", (await fx.Client.CoreV1.ReadNamespacedPodAsync(bad, Ns)).Status.Phase);
        }
        finally
        {
            foreach (var pod in new[] { none, bad, ok })
            {
                await fx.Kubectl.OkAsync("-n", Ns, "delete", "pod", pod, "--wait=false");
            }
        }
    }
}
