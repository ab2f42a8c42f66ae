using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Backend;

/// <summary>
/// <see cref="ISessionBackend.UpgradeAsync"/> on the Kubernetes test server (pods are real Podman containers),
/// cross-checked with the real kubectl: the agent pod is replaced by one on the new image, the workspace PVC is the
/// same object (same uid) with the work and the agent's state in it, and an upgrade stopped after each step (as a kill
/// would: nothing is undone) is finished by the next call without another generation.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class UpgradeTests(KubeServerFixture fixture) : IAsyncLifetime
{
    private static readonly string[] Steps = ["intent-recorded", "proxy-updated", "started"];

    private string _image = null!;

    public async Task InitializeAsync() => _image = await UpgradeImage.BuildAsync(fixture.RunId);

    public Task DisposeAsync() => UpgradeImage.RemoveAsync(_image);

    [Fact]
    public async Task Upgrade_replaces_the_pods_on_the_new_image_keeping_the_pvc_and_the_work_and_finishes_after_a_stop_at_any_step()
    {
        var name = fixture.NewName("upg");
        try
        {
            await fixture.Backend.CreateAsync(fixture.Spec(name));
            var seeded = await fixture.Backend.ExecAsync(name, ["bash", "-c", UpgradeImage.SeedWorkScript]);
            Assert.True(seeded.Succeeded, seeded.StandardError);
            var pvc = await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}");
            var pod = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.uid}");

            var info = await fixture.Backend.UpgradeAsync(name, new SessionUpgrade { AgentImage = _image });
            Assert.Equal(SessionStatus.Running, info.Status);
            Assert.Equal(_image, info.AgentImage);
            await AssertUpgradedAsync(name, _image, generation: 1, pvc);
            Assert.NotEqual(pod, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));

            var images = new[] { UpgradeImage.BaseImage, _image, UpgradeImage.BaseImage };
            for (var i = 0; i < Steps.Length; i++)
            {
                var upgrade = new SessionUpgrade { AgentImage = images[i] };
                await UpgradeThrowsAtAsync(Steps[i], () => fixture.Backend.UpgradeAsync(name, upgrade));
                Assert.Contains(name, await fixture.Backend.ListAsync().Select(s => s.Name).ToListAsync());

                var finished = await fixture.Backend.UpgradeAsync(name, upgrade);
                Assert.Equal(SessionStatus.Running, finished.Status);
                await AssertUpgradedAsync(name, images[i], generation: i + 2, pvc);
            }
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
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

    private async Task AssertUpgradedAsync(SessionName name, string image, int generation, string pvcUid)
    {
        var gen = generation.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(image, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.containers[0].image}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(image, await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.metadata.annotations.paude\\.io/agent-image}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "deployment", $"proxy-paude-{name}", "-o", "jsonpath={.spec.template.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(gen, await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(pvcUid, await fixture.KubectlAsync("get", "pvc", $"workspace-paude-{name}-0", "-o", "jsonpath={.metadata.uid}"));
        var work = await fixture.Backend.ExecAsync(name, ["bash", "-c", UpgradeImage.ReadWorkScript]);
        Assert.Equal(UpgradeImage.ExpectedWork, work.StandardOutput);
    }

    private static async Task UpgradeThrowsAtAsync(string step, Func<Task> upgrade)
    {
        OpenShiftUpgrader.FaultPoint.Value = s =>
        {
            if (s == step)
            {
                throw new SimulatedKillException(step);
            }
        };
        try
        {
            var thrown = await Assert.ThrowsAsync<SimulatedKillException>(upgrade);
            Assert.Equal(step, thrown.Message);
        }
        finally
        {
            OpenShiftUpgrader.FaultPoint.Value = null;
        }
    }

    private sealed class SimulatedKillException(string step) : Exception(step);
}
