using k8s.Models;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Tests.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Backend;

public sealed class StatusTests
{
    private static V1StatefulSet Set(int replicas) =>
        AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions(), replicas);

    private static V1Pod Pod(string role, string phase, string? waiting = null, bool running = false, bool? ready = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = role, Labels = new Dictionary<string, string> { [SessionLabelKeys.Role] = role } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "i" }] },
        Status = new V1PodStatus
        {
            Phase = phase,
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "c",
                    Image = "i",
                    ImageID = string.Empty,
                    Ready = ready ?? running,
                    State = new V1ContainerState
                    {
                        Running = running ? new V1ContainerStateRunning() : null,
                        Waiting = waiting is null ? null : new V1ContainerStateWaiting { Reason = waiting },
                    },
                },
            ],
        },
    };

    private static V1Deployment Proxy(int ready) => ProxyManifests.Deployment(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions(), "h1", ready);

    private static V1Pod ProxyPod(string hash, bool running = true, bool? ready = null)
    {
        var pod = Pod("proxy", running ? "Running" : "Pending", running: running, ready: ready);
        pod.Metadata.Annotations = new Dictionary<string, string> { [SessionLabels.ConfigHash] = hash };
        return pod;
    }

    [Fact]
    public void Scaled_to_zero_is_stopped() =>
        Assert.Equal(SessionStatus.Stopped, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(0), [], Proxy(0)).Status);

    [Fact]
    public void Running_agent_and_ready_proxy_is_running() =>
        Assert.Equal(SessionStatus.Running, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", running: true), ProxyPod("h1")], Proxy(1)).Status);

    [Fact]
    public void Running_proxy_pod_failing_its_readiness_probe_is_not_ready_yet() =>
        // The proxy Service routes only to a ready pod: a running one the agent cannot reach yet is no proxy.
        Assert.Equal(SessionStatus.Degraded, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", running: true), ProxyPod("h1", ready: false)], Proxy(1)).Status);

    [Fact]
    public void Proxy_pod_with_an_old_config_is_not_ready_yet() =>
        Assert.Equal(SessionStatus.Degraded, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", running: true), ProxyPod("h0")], Proxy(1)).Status);

    [Fact]
    public void Proxy_without_ready_replica_is_degraded()
    {
        var (status, reason) = Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", running: true), Pod("proxy", "Pending", "ImagePullBackOff")], Proxy(0));
        Assert.Equal(SessionStatus.Degraded, status);
        Assert.Contains("ImagePullBackOff", reason, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Degraded, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", running: true)], null).Status);
    }

    [Fact]
    public void Crash_looping_agent_is_an_error_and_a_scheduling_one_is_pending()
    {
        Assert.Equal(SessionStatus.Error, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Running", "CrashLoopBackOff")], Proxy(1)).Status);
        Assert.Equal(SessionStatus.Pending, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [Pod("agent", "Pending", "ContainerCreating")], Proxy(1)).Status);
        Assert.Equal(SessionStatus.Pending, Paude.Backends.OpenShift.Backend.OpenShiftSessionReader.DeriveStatus(Set(1), [], Proxy(1)).Status);
    }
}
