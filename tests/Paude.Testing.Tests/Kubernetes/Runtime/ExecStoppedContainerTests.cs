using k8s;
using k8s.Models;
using Paude.Testing.Kubernetes;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// Exec into a container that stopped after the pod's status was last written (a crash-looping container between
/// two kubelet passes): a real kubelet answers with an InternalError Status, never with a command exit code.
/// </summary>
public sealed class ExecStoppedContainerTests
{
    [Fact]
    public async Task Exec_into_a_container_that_just_stopped_fails_as_an_error_not_as_exit_code_255()
    {
        // A long poll interval: nothing but store events wakes the kubelet loop. The pass that writes "running" wakes
        // it once more (its own store event); the container exits by itself well after that, unseen, so the status
        // still says "running". (Killing it right after "running" showed raced that extra pass on a loaded machine.)
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            Namespaces = ["default"],
            PollInterval = TimeSpan.FromMinutes(5),
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId },
        });
        using var client = server.CreateClient("default");
        var kubectl = new Kubectl(server.KubeconfigPath);
        var name = $"stopped-{Guid.NewGuid().ToString("N")[..6]}";
        var pod = Manifests.Pod(name, command: ["sleep", "12"]);
        pod.Spec.RestartPolicy = "Never";
        await client.CoreV1.CreateNamespacedPodAsync(pod, "default");
        await Wait.UntilAsync(
            async () => await client.CoreV1.ReadNamespacedPodAsync(name, "default"),
            p => p.Status?.ContainerStatuses?.Any(c => c.State?.Running is not null) == true,
            "container running");
        await Wait.UntilAsync(
            () => Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.kubetest.pod=default/{name}", "--filter", "status=exited"),
            ids => ids.Length == 1,
            "container exited in Podman",
            TimeSpan.FromSeconds(60));
        Assert.NotNull((await client.CoreV1.ReadNamespacedPodAsync(name, "default")).Status.ContainerStatuses.Single().State.Running);

        var (code, stdout, stderr) = await kubectl.RunAsync(["-n", "default", "exec", name, "--", "true"]);

        Assert.True(code == 1, $"exit {code}: {stdout}{stderr}");
        Assert.Contains("error executing command in container: container is not created or running", stderr, StringComparison.Ordinal);
    }
}
