using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Paude.Testing.Kubernetes;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Faults;

public sealed class FaultAndDisposalTests
{
    [Fact]
    public async Task Faults_answer_429_with_retry_after_5xx_and_drop_connections_by_verb_and_count()
    {
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId } });
        using var client = server.CreateClient();
        server.Faults.Add(new FaultRule { Verb = "list", Resource = "configmaps", StatusCode = 429, RetryAfter = TimeSpan.FromSeconds(2), Count = 1 });
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedConfigMapAsync("default"));
        Assert.Equal((HttpStatusCode)429, e.Response.StatusCode);
        Assert.Equal("2", e.Response.Headers["Retry-After"].Single());
        Assert.Contains("\"reason\":\"TooManyRequests\"", e.Response.Content, StringComparison.Ordinal);
        Assert.Empty((await client.CoreV1.ListNamespacedConfigMapAsync("default")).Items); // count exhausted

        server.Faults.Add(new FaultRule { Verb = "create", StatusCode = 500, Count = 1 });
        var e500 = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "x" } }, "default"));
        Assert.Equal(HttpStatusCode.InternalServerError, e500.Response.StatusCode);
        Assert.Empty((await client.CoreV1.ListNamespacedConfigMapAsync("default")).Items); // nothing changed

        server.Faults.Add(new FaultRule { Verb = "get", Action = FaultAction.DropConnection, Count = 1 });
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.CoreV1.ReadNamespaceAsync("default"));
        Assert.Equal("default", (await client.CoreV1.ReadNamespaceAsync("default")).Metadata.Name);
        Assert.Equal(3, server.Faults.Injected);
    }

    [Fact]
    public async Task EndWatch_fault_ends_the_stream_silently_and_a_resumed_watch_replays_what_was_missed()
    {
        await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId } });
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        server.Faults.Add(new FaultRule { Verb = "watch", Resource = "configmaps", Action = FaultAction.EndWatch, WatchDuration = TimeSpan.FromMilliseconds(300), Count = 1 });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var body = await http.GetStringAsync("api/v1/namespaces/default/configmaps?watch=1");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal("", body); // no objects yet, stream just ended

        using var client = server.CreateClient();
        var list = await client.CoreV1.ListNamespacedConfigMapAsync("default");
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "missed" } }, "default");
        var replay = await http.GetStringAsync($"api/v1/namespaces/default/configmaps?watch=1&resourceVersion={list.Metadata.ResourceVersion}&timeoutSeconds=1");
        var line = System.Text.Json.Nodes.JsonNode.Parse(replay.Split('\n')[0])!;
        Assert.Equal("ADDED", (string?)line["type"]);
        Assert.Equal("missed", (string?)line["object"]!["metadata"]!["name"]);
        Assert.Equal("ConfigMap", (string?)line["object"]!["kind"]);
    }

    [Fact]
    public async Task Dispose_removes_every_container_volume_and_network_it_made()
    {
        var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId } });
        var id = server.ServerId;
        try
        {
            using var client = server.CreateClient();
            await client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet("keep"), "default");
            await Wait.UntilAsync(async () => await Podman.LinesAsync("ps", "--filter", $"label=paude.kubetest={id}", "--format", "{{.Names}}"), l => l.Length == 1, "pod container running");
            Assert.Single(await Podman.LinesAsync("volume", "ls", "-q", "--filter", $"label=paude.kubetest={id}"));
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Empty(await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.kubetest={id}"));
        Assert.Empty(await Podman.LinesAsync("volume", "ls", "-q", "--filter", $"label=paude.kubetest={id}"));
        Assert.Empty(await Podman.LinesAsync("network", "ls", "-q", "--filter", $"name=kt-{id}"));
    }

    // Dispose at the worst moments: while pods' containers are being created and started (the loop's `podman create`
    // or `start` killed or still finishing), and right after the first one runs (netavark has set up the network's NAT).
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Dispose_while_pods_are_being_created_leaves_nothing_labelled_with_its_id(int moment)
    {
        var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId } });
        var id = server.ServerId;
        string? nat = null;
        try
        {
            using var client = server.CreateClient();
            for (var i = 0; i < 4; i++)
            {
                await client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod($"p{i}"), "default");
            }

            await client.AppsV1.CreateNamespacedStatefulSetAsync(Manifests.StatefulSet("claims"), "default");
            if (moment >= 1)
            {
                string[] filter = moment == 1 ? [] : ["--filter", "status=running"];
                await Wait.UntilAsync(async () => await Podman.LinesAsync(["ps", "-a", "--filter", $"label=paude.kubetest={id}", .. filter, "--format", "{{.Names}}"]), l => l.Length >= 1, "a pod container");
            }

            if (moment == 2)
            {
                nat = await ServerLeftovers.NatChainAsync(server.PodNetwork);
                Assert.NotNull(nat);
            }
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Empty(await ServerLeftovers.ListAsync(id, nat));
    }

    [Fact]
    public async Task A_test_that_fails_mid_way_still_leaves_no_container_volume_network_or_host_directory()
    {
        string? id = null;
        string? root = null;
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await using var server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions { ResourceLabels = new Dictionary<string, string> { ["paude.test"] = ServerFixture.RunId } });
            (id, root) = (server.ServerId, Path.GetDirectoryName(server.KubeconfigPath));
            using var client = server.CreateClient();
            await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["k"] = "v" } }, "default");
            var sts = Manifests.StatefulSet("busy");
            sts.Spec.Template.Spec.Volumes = [new V1Volume { Name = "s", Secret = new V1SecretVolumeSource { SecretName = "s" } }];
            sts.Spec.Template.Spec.Containers[0].VolumeMounts.Add(new V1VolumeMount { Name = "s", MountPath = "/s" });
            sts.Spec.Template.Spec.Containers[0].ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["true"] }, PeriodSeconds = 1 };
            await client.AppsV1.CreateNamespacedStatefulSetAsync(sts, "default");
            await Wait.UntilAsync(async () => await client.CoreV1.ReadNamespacedPodAsync("busy-0", "default"), p => p.Status?.ContainerStatuses?.SingleOrDefault()?.Ready == true, "pod ready");
            using var exec = await client.WebSocketNamespacedPodExecAsync("busy-0", "default", ["sleep", "600"], "main", tty: true); // an exec still running
            throw new InvalidOperationException("the test failed here");
        });
        Assert.Equal("the test failed here", failure.Message);

        Assert.NotNull(id);
        Assert.Empty(await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label=paude.kubetest={id}"));
        Assert.Empty(await Podman.LinesAsync("volume", "ls", "-q", "--filter", $"label=paude.kubetest={id}"));
        Assert.Empty(await Podman.LinesAsync("network", "ls", "-q", "--filter", $"label=paude.kubetest={id}"));
        Assert.False(Directory.Exists(root), $"host directory {root} left behind");
    }
}
