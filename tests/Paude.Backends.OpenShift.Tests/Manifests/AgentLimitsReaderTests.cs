using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Manifests;

/// <summary>
/// <see cref="AgentLimitsReader"/>: the limits a StatefulSet is made with are read back from its template (through
/// JSON, as the API server returns it), and a template edited into something unreadable reads as null, never throws.
/// (A quantity that is not a number at all never gets here: the client refuses the whole object while reading it,
/// and a real API server refuses it at write.)
/// </summary>
public sealed class AgentLimitsReaderTests
{
    private const long MiB = 1024 * 1024;

    public static TheoryData<SessionLimits> Written => new()
    {
        SessionLimits.Default,
        new SessionLimits { Cpus = 1, MemoryBytes = 512 * MiB, CpuRequest = 0.25, MemoryRequestBytes = 192 * MiB, Gpus = 2 },
        new SessionLimits { Cpus = 0.3, MemoryBytes = 100_000_001, MemoryRequestBytes = 4 * MiB },
        new SessionLimits { Cpus = 8, MemoryBytes = 16L << 30, CpuRequest = 0.001 },
    };

    [Theory]
    [MemberData(nameof(Written))]
    public void The_limits_a_statefulset_is_made_with_are_read_back(SessionLimits limits)
    {
        var options = new OpenShiftBackendOptions();
        var read = AgentLimitsReader.Read(RoundTrip(AgentManifests.StatefulSet(ManifestSnapshotTests.Input() with { Limits = limits }, options)), options.AgentResources);

        Assert.Equal(limits, read);
    }

    [Fact]
    public void A_request_equal_to_the_backends_default_is_the_backends()
    {
        // The default requests (1 CPU, 4Gi) capped at the limits: a session that asked for exactly that reads as
        // asking nothing, so a later limit moves its request with it.
        var options = new OpenShiftBackendOptions();
        var limits = new SessionLimits { Cpus = 2, MemoryBytes = 1L << 30, CpuRequest = 1, MemoryRequestBytes = 1L << 30 };
        var read = AgentLimitsReader.Read(RoundTrip(AgentManifests.StatefulSet(ManifestSnapshotTests.Input() with { Limits = limits }, options)), options.AgentResources);

        Assert.Equal(limits with { CpuRequest = null, MemoryRequestBytes = null }, read);
    }

    [Theory]
    [InlineData("""{"limits":{"memory":"1Gi"}}""")]
    [InlineData("""{"limits":{"cpu":"1"}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"limits":{"cpu":"0","memory":"1Gi"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi","nvidia.com/gpu":"65"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi","nvidia.com/gpu":"-1"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi","nvidia.com/gpu":"9e40"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"2"}}""")]
    [InlineData("""{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"memory":"1"}}""")]
    public void A_template_edited_into_something_unreadable_reads_as_null(string resources)
    {
        var statefulSet = AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions());
        statefulSet.Spec.Template.Spec.Containers[0].Resources = KubernetesJson.Deserialize<V1ResourceRequirements>(resources);

        Assert.Null(AgentLimitsReader.Read(RoundTrip(statefulSet), new OpenShiftBackendOptions().AgentResources));
    }

    [Fact]
    public void A_statefulset_without_an_agent_container_reads_as_null()
    {
        var statefulSet = AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions());
        statefulSet.Spec.Template.Spec.Containers[0].Name = "other";

        Assert.Null(AgentLimitsReader.Read(statefulSet, new OpenShiftBackendOptions().AgentResources));
        Assert.Null(AgentLimitsReader.Read(new V1StatefulSet(), new OpenShiftBackendOptions().AgentResources));
    }

    private static V1StatefulSet RoundTrip(V1StatefulSet statefulSet) => KubernetesJson.Deserialize<V1StatefulSet>(KubernetesJson.Serialize(statefulSet));
}
