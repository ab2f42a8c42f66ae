using System.Text;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Controllers;

/// <summary>Controllers and the Podman runtime: StatefulSets/Deployments become real containers with real status.</summary>
public sealed class WorkloadTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private Task<V1Pod> RunningPodAsync(string name) =>
        Wait.UntilAsync(
            async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"),
            p => p.Status?.Phase == "Running" && p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
            $"pod {name} running and ready");

    private async Task<(int Exit, string Out, string Err)> ExecAsync(string pod, string[] command, string? stdin = null)
    {
        // v5 so stdin can be closed (channel 255), as the OpenShift backend does.
        using var ws = await fx.Client.WebSocketNamespacedPodExecAsync(pod, "paude", command, "main", stdin: stdin is not null, tty: false, webSocketSubProtocol: "v5.channel.k8s.io");
        using var demux = new StreamDemuxer(ws);
        demux.Start();
        var stdout = demux.GetStream(ChannelIndex.StdOut, null);
        var stderr = demux.GetStream(ChannelIndex.StdErr, null);
        var error = demux.GetStream(ChannelIndex.Error, null);
        if (stdin is not null)
        {
            var input = demux.GetStream(null, ChannelIndex.StdIn);
            await input.WriteAsync(Encoding.UTF8.GetBytes(stdin));
            await ws.SendAsync(new byte[] { 255, 0 }, System.Net.WebSockets.WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        var outTask = new StreamReader(stdout).ReadToEndAsync();
        var errTask = new StreamReader(stderr).ReadToEndAsync();
        var status = await new StreamReader(error).ReadToEndAsync();
        var exit = status.Length == 0 ? -1 : KubernetesJson.Deserialize<V1Status>(status) is var s && s.Status == "Success" ? 0 : int.Parse(s.Details.Causes.First(c => c.Reason == "ExitCode").Message);
        return (exit, await outTask.WaitAsync(TimeSpan.FromSeconds(10)), await errTask.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task StatefulSet_runs_pod_0_with_its_claim_exec_works_and_delete_keeps_the_pvc()
    {
        var name = Unique("sts");
        await fx.Client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet(name), "paude");
        var pod = await RunningPodAsync($"{name}-0");
        Assert.Equal("StatefulSet", pod.Metadata.OwnerReferences.Single().Kind);
        Assert.Equal($"data-{name}-0", pod.Spec.Volumes.Single(v => v.Name == "data").PersistentVolumeClaim.ClaimName);
        Assert.False(string.IsNullOrEmpty(pod.Status.PodIP));
        Assert.Equal(0, pod.Status.ContainerStatuses.Single().RestartCount);
        Assert.NotNull(pod.Status.ContainerStatuses.Single().State.Running);

        var pvc = await fx.Client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync($"data-{name}-0", "paude");
        Assert.Equal("Bound", pvc.Status.Phase);
        Assert.Equal(name, pvc.Metadata.Labels["app"]);

        var (exit, stdout, stderr) = await ExecAsync($"{name}-0", ["sh", "-c", "echo hello > /data/f; cat /data/f; echo oops >&2; exit 3"]);
        Assert.Equal(3, exit);
        Assert.Equal("hello\n", stdout);
        Assert.Equal("oops\n", stderr);

        var sts = await Wait.UntilAsync(async () => await fx.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, "paude"), s => s.Status?.ReadyReplicas == 1, "sts ready");
        Assert.Equal(1, sts.Status.Replicas);
        Assert.Equal(1, sts.Status.AvailableReplicas);

        // Scale to 0: the pod goes; back to 1: the same claim comes back with the data.
        await fx.Client.AppsV1.PatchNamespacedStatefulSetScaleAsync(new V1Patch("{\"spec\":{\"replicas\":0}}", V1Patch.PatchType.MergePatch), name, "paude");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "pods gone after scale 0");
        sts = await Wait.UntilAsync(async () => await fx.Client.AppsV1.ReadNamespacedStatefulSetAsync(name, "paude"), s => s.Status?.Replicas == 0, "sts status 0");
        Assert.Null(sts.Status.ReadyReplicas);
        await fx.Client.AppsV1.PatchNamespacedStatefulSetAsync(new V1Patch("{\"spec\":{\"replicas\":1}}", V1Patch.PatchType.MergePatch), name, "paude");
        await RunningPodAsync($"{name}-0");
        var (_, again, _) = await ExecAsync($"{name}-0", ["cat", "/data/f"]);
        Assert.Equal("hello\n", again);

        await fx.Client.AppsV1.DeleteNamespacedStatefulSetAsync(name, "paude");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "pods deleted with the sts");
        Assert.Single((await fx.Client.CoreV1.ListNamespacedPersistentVolumeClaimAsync("paude", fieldSelector: $"metadata.name=data-{name}-0")).Items);
        var containers = await Podman.LinesAsync("ps", "-a", "--filter", $"label=paude.kubetest={fx.Server.ServerId}", "--filter", $"name={name}", "--format", "{{.Names}}");
        Assert.Empty(containers);

        // Deleting the claim removes its Podman volume.
        await fx.Client.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync($"data-{name}-0", "paude");
        await Wait.UntilAsync(async () => await Podman.LinesAsync("volume", "ls", "-q", "--filter", $"label=paude.kubetest={fx.Server.ServerId}", "--filter", $"name={name}"), v => v.Length == 0, "volume removed");
    }

    [Fact]
    public async Task Exec_streams_stdin_to_the_command()
    {
        var name = Unique("stdin");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name), "paude");
        await RunningPodAsync(name);
        var payload = new string('x', 200_000);
        var (exit, stdout, _) = await ExecAsync(name, ["wc", "-c"], payload);
        Assert.Equal(0, exit);
        Assert.Equal("200000", stdout.Trim());
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }

    [Fact]
    public async Task Deployment_runs_one_pod_through_a_ReplicaSet_and_reports_availability()
    {
        var name = Unique("dep");
        await fx.Client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "main", Image = Manifests.Image, Command = ["sleep", "infinity"] }] },
                },
            },
        }, "paude");
        var dep = await Wait.UntilAsync(async () => await fx.Client.AppsV1.ReadNamespacedDeploymentAsync(name, "paude"), d => d.Status?.AvailableReplicas == 1, "deployment available");
        Assert.Equal("True", dep.Status.Conditions.Single(c => c.Type == "Available").Status);
        var pod = (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Single();
        Assert.Equal("ReplicaSet", pod.Metadata.OwnerReferences.Single().Kind);
        Assert.StartsWith($"{name}-", pod.Metadata.Name);

        // A template change rolls out a new pod.
        await fx.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"rev\":\"2\"}}}}}", V1Patch.PatchType.MergePatch), name, "paude");
        var rolled = await Wait.UntilAsync(
            async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items,
            pods => pods.Count == 1 && pods[0].Metadata.Name != pod.Metadata.Name && pods[0].Status?.Phase == "Running",
            "rolled-out pod");
        Assert.Equal("2", rolled[0].Metadata.Annotations["rev"]);

        await fx.Client.AppsV1.DeleteNamespacedDeploymentAsync(name, "paude");
        await Wait.UntilAsync(async () => (await fx.Client.CoreV1.ListNamespacedPodAsync("paude", labelSelector: $"app={name}")).Items.Count, n => n == 0, "pods gone with deployment");
        Assert.Empty((await fx.Client.AppsV1.ListNamespacedReplicaSetAsync("paude", labelSelector: $"app={name}")).Items);
    }

    [Fact]
    public async Task Missing_image_reports_ErrImagePull_then_ImagePullBackOff_with_events()
    {
        var name = Unique("noimg");
        var created = await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name, image: "localhost/paude-does-not-exist:1"), "paude");

        // Watched from the creation on, so every status the pod passes through is seen (ErrImagePull lasts ~1 s: polling
        // can miss it on a loaded machine).
        var reasons = new List<string>();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var response = fx.Client.CoreV1.ListNamespacedPodWithHttpMessagesAsync(
            "paude", fieldSelector: $"metadata.name={name}", watch: true, resourceVersion: created.Metadata.ResourceVersion, cancellationToken: bound.Token);
#pragma warning disable CS0618 // The list-with-watch form, as kubectl and the SDK use it.
        await foreach (var (_, p) in response.WatchAsync<V1Pod, V1PodList>(cancellationToken: bound.Token))
#pragma warning restore CS0618
        {
            var reason = p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason;
            if (reason is not null && !reasons.Contains(reason))
            {
                reasons.Add(reason);
            }

            if (reason == "ImagePullBackOff")
            {
                break;
            }
        }

        Assert.Equal(["ErrImagePull", "ImagePullBackOff"], reasons.Where(r => r is "ErrImagePull" or "ImagePullBackOff"));
        var pod = await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude");
        Assert.Equal("Pending", pod.Status.Phase);
        var events = await fx.Client.CoreV1.ListNamespacedEventAsync("paude", fieldSelector: $"involvedObject.name={name}");
        Assert.Contains(events.Items, e => e.Reason == "Failed" && e.Type == "Warning" && e.Message.Contains("localhost/paude-does-not-exist:1", StringComparison.Ordinal));
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }

    [Fact]
    public async Task Missing_secret_in_env_is_CreateContainerConfigError()
    {
        var name = Unique("nosecret");
        var pod = Manifests.Pod(name);
        pod.Spec.Containers[0].Env = [new V1EnvVar { Name = "X", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "absent", Key = "k" } } }];
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");
        var p = await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"),
            p => p.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason == "CreateContainerConfigError", "CreateContainerConfigError");
        Assert.Equal("secret \"absent\" not found", p.Status.ContainerStatuses[0].State.Waiting.Message);

        // Creating the secret lets the pod start, with the value in its environment.
        await fx.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "absent" }, StringData = new Dictionary<string, string> { ["k"] = "s3cret" } }, "paude");
        await RunningPodAsync(name);
        var (_, stdout, _) = await ExecAsync(name, ["printenv", "X"]);
        Assert.Equal("s3cret\n", stdout);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
        await fx.Client.CoreV1.DeleteNamespacedSecretAsync("absent", "paude");
    }

    [Fact]
    public async Task Exiting_command_goes_into_CrashLoopBackOff_with_restart_count()
    {
        var name = Unique("crash");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name, command: ["sh", "-c", "echo boom; exit 1"]), "paude");
        var p = await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"),
            p => p.Status?.ContainerStatuses?.SingleOrDefault() is { RestartCount: >= 2, State.Waiting.Reason: "CrashLoopBackOff" }, "CrashLoopBackOff");
        var status = p.Status.ContainerStatuses[0];
        Assert.Equal(1, status.LastState.Terminated.ExitCode);
        Assert.Equal("Error", status.LastState.Terminated.Reason);
        Assert.Equal("Running", p.Status.Phase);
        Assert.False(status.Ready);
        var log = await fx.Client.CoreV1.ReadNamespacedPodLogAsync(name, "paude", tailLines: 1);
        Assert.Equal("boom\n", await new StreamReader(log).ReadToEndAsync());
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, "paude");
    }
}
