using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Manifests;

/// <summary>
/// A spec's requests, GPUs, workspace size and class, node selector, tolerations and pull secrets on the test server,
/// each cross-checked with the real kubectl; kept by a restart (the pod is re-created from the StatefulSet) and by a
/// repaired proxy (re-created from the stored record).
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class ClusterSpecTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task Resources_storage_placement_and_pull_secrets_reach_the_objects_and_survive_restart_and_repair()
    {
        var name = fixture.NewName("spec");
        var secret = $"{fixture.RunId}-specpull";
        var spec = fixture.Spec(name) with
        {
            Limits = new SessionLimits { MemoryBytes = 1L << 30, Cpus = 1.5, CpuRequest = 0.25, MemoryRequestBytes = 256L << 20, Gpus = 1 },
            WorkspaceSizeBytes = 2L << 30,
            StorageClass = "fast-ssd",
            NodeSelector = new Dictionary<string, string> { ["paude.io/pool"] = "agents" },
            Tolerations = [new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule"), new SessionToleration("dedicated", "Equal", "paude", "NoExecute") { TolerationSeconds = 60 }],
            ImagePullSecrets = [secret],
        };
        await fixture.Backend.CreateAsync(spec);
        try
        {
            var pod = $"paude-{name}-0";
            await AssertPodAsync(pod);
            await AssertProxyAsync(name);
            Assert.Equal("2Gi|fast-ssd", await JsonPathAsync("pvc", $"workspace-paude-{name}-0", "{.spec.resources.requests.storage}|{.spec.storageClassName}"));

            // The agent's governing Service names the pod from its start, before its startup probe passes.
            Assert.Equal("None|true", await JsonPathAsync("svc", $"paude-{name}", "{.spec.clusterIP}|{.spec.publishNotReadyAddresses}"));
            Assert.Contains($"\"ImagePullSecrets\":[\"{secret}\"]", await JsonPathAsync("statefulset", $"paude-{name}", "{.metadata.annotations['paude\\.io/cluster']}"), StringComparison.Ordinal);

            // A restart re-creates the pod from the StatefulSet; a lost proxy is re-created from the stored record.
            await fixture.Backend.StopAsync(name);
            await fixture.KubectlAsync("delete", "deployment", $"proxy-paude-{name}", "--wait=true");
            await fixture.Backend.StartAsync(name);
            await AssertPodAsync(pod);
            await AssertProxyAsync(name);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }

        async Task AssertPodAsync(string pod)
        {
            Assert.Equal("250m|256Mi|1|1500m|1Gi", Normalise(await JsonPathAsync("pod", pod,
                "{.spec.containers[0].resources.requests.cpu}|{.spec.containers[0].resources.requests.memory}|{.spec.containers[0].resources.limits['nvidia\\.com/gpu']}|{.spec.containers[0].resources.limits.cpu}|{.spec.containers[0].resources.limits.memory}")));
            Assert.Equal("agents", await JsonPathAsync("pod", pod, "{.spec.nodeSelector['paude\\.io/pool']}"));
            Assert.Equal("nvidia.com/gpu:Exists:NoSchedule: dedicated:Equal:NoExecute:60", await JsonPathAsync("pod", pod,
                "{range .spec.tolerations[*]}{.key}:{.operator}:{.effect}:{.tolerationSeconds} {end}"));
            Assert.Equal(secret, await JsonPathAsync("pod", pod, "{.spec.imagePullSecrets[*].name}"));
        }

        async Task AssertProxyAsync(SessionName session)
        {
            var deployment = $"proxy-paude-{session}";
            Assert.Equal("agents", await JsonPathAsync("deployment", deployment, "{.spec.template.spec.nodeSelector['paude\\.io/pool']}"));
            Assert.Equal("nvidia.com/gpu dedicated", await JsonPathAsync("deployment", deployment, "{.spec.template.spec.tolerations[*].key}"));
            Assert.Equal(secret, await JsonPathAsync("deployment", deployment, "{.spec.template.spec.imagePullSecrets[*].name}"));
            Assert.Equal(string.Empty, await JsonPathAsync("deployment", deployment, "{.spec.template.spec.containers[0].resources.limits['nvidia\\.com/gpu']}"));
        }
    }

    [Fact]
    public async Task Every_problem_of_the_cluster_part_is_listed_together_and_nothing_is_created()
    {
        var name = fixture.NewName("badspec");
        var spec = fixture.Spec(name) with
        {
            Limits = new SessionLimits { Gpus = SessionLimits.AllGpus, Cpus = 1, MemoryRequestBytes = 8L << 30 },
            WorkspaceSizeBytes = 10,
            StorageClass = "Fast SSD",
            NodeSelector = new Dictionary<string, string> { ["bad key!"] = "ok", ["pool"] = "-bad-" },
            Tolerations = [new SessionToleration("k", "Exists", "v", "Sometimes")],
            ImagePullSecrets = ["Reg_Cred"],
        };

        var e = await Assert.ThrowsAsync<InvalidSessionSpecException>(() => fixture.Backend.CreateAsync(spec));

        string[] expected =
        [
            "Limits.MemoryRequestBytes:", "Limits.Gpus:", "WorkspaceSizeBytes:", "StorageClass:", "NodeSelector: key 'bad key!'",
            "NodeSelector: value '-bad-'", "Tolerations[0]: a value", "Tolerations[0]: effect", "ImagePullSecrets: 'Reg_Cred'",
        ];
        foreach (var prefix in expected)
        {
            Assert.Contains(e.Errors, m => m.StartsWith(prefix, StringComparison.Ordinal));
        }

        Assert.Equal(expected.Length, e.Errors.Count);
        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    private async Task<string> JsonPathAsync(string kind, string name, string path) =>
        (await fixture.KubectlAsync("get", kind, name, "-o", $"jsonpath={path}")).Trim();

    /// <summary>Quantities as the API server may canonicalise them (a real one turns 1536m into 1536m, 268435456 into 256Mi).</summary>
    private static string Normalise(string value) => value.Replace("268435456", "256Mi", StringComparison.Ordinal).Replace("1073741824", "1Gi", StringComparison.Ordinal);
}
