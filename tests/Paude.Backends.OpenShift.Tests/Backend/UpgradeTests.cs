using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Backend;

/// <summary>
/// <see cref="ISessionBackend.UpgradeAsync"/> on the Kubernetes test server (pods are real Podman containers),
/// cross-checked with the real kubectl: the agent pod is replaced by one on the new image, the workspace PVC is the
/// same object (same uid) with the work and the agent's state in it, and an upgrade stopped after each step (as a kill
/// would: nothing is undone) is finished by the next call without another generation.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class UpgradeTests(KubeServerFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Steps = ["intent-recorded", "proxy-updated", "started"];

    private string _image = null!;

    public async Task InitializeAsync() => _image = await UpgradeImage.BuildAsync(fixture.RunId);

    public Task DisposeAsync() => UpgradeImage.RemoveAsync(_image);

    [Fact]
    public async Task Upgrade_replaces_the_pods_on_the_new_image_keeping_the_pvc_and_the_work_and_finishes_after_a_stop_at_any_step()
    {
        var logs = new CapturingLoggerProvider();
        await using var services = Services(logs);
        var backend = services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var name = fixture.NewName("upg");
        try
        {
            await backend.CreateAsync(fixture.Spec(name));
            await UpgradeWork.SeedAsync(backend, name);
            var pvc = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}");
            var pod = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.uid}");

            var info = await backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = _image });
            Assert.Equal(SessionStatus.Running, info.Status);
            Assert.Equal(_image, info.AgentImage);
            await AssertUpgradedAsync(name, _image, generation: 1, pvc);
            Assert.NotEqual(pod, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));

            var images = new[] { UpgradeImage.BaseImage, _image, UpgradeImage.BaseImage };
            for (var i = 0; i < Steps.Length; i++)
            {
                var upgrade = new SessionUpgrade { AgentImage = images[i] };
                await UpgradeWork.ThrowsAtAsync(OpenShiftUpgrader.FaultPoint, Steps[i], () => backend.UpgradeAsync(name, upgrade));
                Assert.Contains(name, await backend.ListAsync().Select(s => s.Name).ToListAsync());

                var finished = await backend.UpgradeAsync(name, upgrade);
                Assert.Equal(SessionStatus.Running, finished.Status);
                await AssertUpgradedAsync(name, images[i], generation: i + 2, pvc);
            }
        }
        finally
        {
            // Where an upgrade's time goes (each step, each wait), for a run that times out under load.
            output.WriteLine(string.Join("\n", logs.Lines.Where(l => l.Contains(" took ", StringComparison.Ordinal) || l.Contains("Waited", StringComparison.Ordinal))));
            await backend.DeleteAsync(name);
        }

        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    [Fact]
    public async Task An_image_only_upgrade_keeps_the_agents_limits_requests_and_gpus()
    {
        // The record on this backend does not carry limits (the pod template does): an upgrade that rebuilt the
        // agent's resources from the record reset a session's GPUs and limits to the defaults.
        var name = fixture.NewName("upgl");
        const string Resources = "{.spec.containers[0].resources.requests.cpu}|{.spec.containers[0].resources.requests.memory}|" +
            "{.spec.containers[0].resources.limits['nvidia\\.com/gpu']}|{.spec.containers[0].resources.limits.cpu}|{.spec.containers[0].resources.limits.memory}";
        try
        {
            await fixture.Backend.CreateAsync(fixture.Spec(name) with
            {
                Limits = new SessionLimits { MemoryBytes = 1L << 30, Cpus = 1.5, CpuRequest = 0.25, MemoryRequestBytes = 256L << 20, Gpus = 1 },
            });
            var before = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", $"jsonpath={Resources}");
            Assert.Contains("|1|", before, StringComparison.Ordinal); // the GPU limit is there to keep

            await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = _image });

            Assert.Equal(_image, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].image}"));
            Assert.Equal(before, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", $"jsonpath={Resources}"));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Upgrade_puts_new_env_allow_list_command_and_limits_into_the_objects_and_refuses_a_workspace_that_cannot_grow()
    {
        var logs = new CapturingLoggerProvider();
        await using var services = Services(logs);
        var backend = services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var name = fixture.NewName("upgs");
        try
        {
            await backend.CreateAsync(fixture.Spec(name) with { Environment = new Dictionary<string, string> { ["PAUDE_T_KEEP"] = "old", ["PAUDE_T_GONE"] = "x" } });
            await UpgradeWork.SeedAsync(backend, name);
            var pvc = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}");

            var widened = Paude.Egress.EgressPolicy.Parse(["allowed.paude.test", "later.paude.test"]);
            var info = await backend.UpgradeAsync(name, new SessionUpgrade
            {
                Environment = new Dictionary<string, string> { ["PAUDE_T_KEEP"] = "new", ["PAUDE_T_ADDED"] = "added" },
                Egress = widened,
                AgentCommand = ["bash", "-c", "echo upgraded > /tmp/agent-ran; exec sleep infinity"],
                Limits = new SessionLimits { MemoryBytes = 300L << 20, Cpus = 0.5 },
            });

            Assert.Equal(SessionStatus.Running, info.Status);
            const string Env = "{range .spec.containers[0].env[*]}{.name}={.value};{end}";
            var env = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", $"jsonpath={Env}");
            Assert.Contains("PAUDE_T_KEEP=new;", env, StringComparison.Ordinal);
            Assert.Contains("PAUDE_T_ADDED=added;", env, StringComparison.Ordinal);
            Assert.DoesNotContain("PAUDE_T_GONE", env, StringComparison.Ordinal);
            Assert.Equal("314572800|500m", await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].resources.limits.memory}|{.spec.containers[0].resources.limits.cpu}"));
            Assert.Equal("allowed.paude.test,later.paude.test", await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/allowed-domains}"));
            Assert.Contains("later.paude.test", await fixture.KubectlAsync("get", "configmap", $"proxy-paude-{name}", "-o", "jsonpath={.data}"), StringComparison.Ordinal);
            Assert.Equal(widened, await backend.GetEgressPolicyAsync(name));
            Assert.Equal("upgraded\n", (await backend.ExecAsync(name, ["cat", "/tmp/agent-ran"])).StandardOutput);
            await UpgradeWork.AssertKeptAsync(backend, name);
            Assert.Equal(pvc, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));

            // The test server's claims have no storage class: nothing says they can grow, so growing is refused, and so
            // is shrinking; neither writes anything (the generation stays).
            var size = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.spec.resources.requests.storage}");
            var grow = await Assert.ThrowsAsync<InvalidOptionsException>(() => backend.UpgradeAsync(name, new SessionUpgrade { WorkspaceSizeBytes = 64L << 30 }));
            Assert.Contains("storage class", Assert.Single(grow.Errors), StringComparison.Ordinal);
            var shrink = await Assert.ThrowsAsync<InvalidOptionsException>(() => backend.UpgradeAsync(name, new SessionUpgrade { WorkspaceSizeBytes = 1L << 20 }));
            Assert.Contains("cannot shrink", Assert.Single(shrink.Errors), StringComparison.Ordinal);
            Assert.Equal("1", await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
            Assert.Equal(size, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.spec.resources.requests.storage}"));
        }
        finally
        {
            output.WriteLine(string.Join("\n", logs.Lines.Where(l => l.Contains(" took ", StringComparison.Ordinal) || l.Contains("Waited", StringComparison.Ordinal))));
            await backend.DeleteAsync(name);
        }
    }

    private ServiceProvider Services(CapturingLoggerProvider logs)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = fixture.Server.KubeconfigPath;
            o.Namespace = KubeServerFixture.Namespace;
            o.ReadyTimeout = TimeSpan.FromMinutes(3);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 10;
            o.AgentImage = KubeServerFixture.AgentImage;
        });
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_workspace_on_an_expandable_storage_class_grows_in_place()
    {
        // allowVolumeExpansion is what a real cluster's API server demands before it lets a claim grow.
        const string Class = "paude-s15-expandable";
        using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(fixture.Server.KubeconfigPath));
        await client.StorageV1.CreateStorageClassAsync(new k8s.Models.V1StorageClass
        {
            Metadata = new k8s.Models.V1ObjectMeta { Name = Class },
            Provisioner = "paude.test/podman",
            AllowVolumeExpansion = true,
        });
        var name = fixture.NewName("upgw");
        try
        {
            await fixture.Backend.CreateAsync(fixture.Spec(name) with { StorageClass = Class, WorkspaceSizeBytes = 1L << 30 });
            await UpgradeWork.SeedAsync(fixture.Backend, name);
            var pvc = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}");

            var shrink = await Assert.ThrowsAsync<InvalidOptionsException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { WorkspaceSizeBytes = 512L << 20 }));
            Assert.Contains("cannot shrink", Assert.Single(shrink.Errors), StringComparison.Ordinal);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { WorkspaceSizeBytes = 2L << 30 })).Status);

            Assert.Equal("2Gi", await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.spec.resources.requests.storage}"));
            Assert.Equal(pvc, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));

            // The StatefulSet's claim template is immutable and still says 1Gi; nothing reads it: the record and the claim
            // say 2Gi, a later upgrade keeps that size, and a shrink is measured against the claim's 2Gi.
            Assert.Equal("1Gi", await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.spec.volumeClaimTemplates[0].spec.resources.requests.storage}"));
            Assert.Contains("\"WorkspaceSizeBytes\":2147483648", await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/cluster}"), StringComparison.Ordinal);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { NodeSelector = new Dictionary<string, string> { ["paude.io/pool"] = "agents" } })).Status);
            Assert.Equal("2Gi", await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.spec.resources.requests.storage}"));
            var below = await Assert.ThrowsAsync<InvalidOptionsException>(() => fixture.Backend.UpgradeAsync(name, new SessionUpgrade { WorkspaceSizeBytes = 1536L << 20 }));
            Assert.Contains("below the workspace's current size 2147483648", Assert.Single(below.Errors), StringComparison.Ordinal);
            await UpgradeWork.AssertKeptAsync(fixture.Backend, name);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
            await client.StorageV1.DeleteStorageClassAsync(Class);
        }
    }

    private async Task AssertUpgradedAsync(SessionName name, string image, int generation, string pvcUid)
    {
        var gen = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(image, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].image}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(image, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/agent-image}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "deployment", $"proxy-paude-{name}", "-o", "jsonpath={.spec.template.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(pvcUid, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));
        await UpgradeWork.AssertKeptAsync(fixture.Backend, name);
    }
}
