using k8s.Models;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Tests.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>
/// The credentials gate is a startup probe: it stops after its first success instead of exec-ing into the agent
/// every second for the pod's life, and a session made with the old readiness probe is moved over.
/// </summary>
public sealed class CredentialStartupProbeTests
{
    private static V1PodSpec PodSpec() =>
        AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions()).Spec.Template.Spec;

    private static V1Container Agent(V1PodSpec spec) => spec.Containers.Single(c => c.Name == SessionLabels.AgentContainer);

    [Fact]
    public void Credentials_gate_the_agent_with_a_startup_probe_and_no_readiness_probe()
    {
        var spec = PodSpec();

        Assert.True(CredentialPodSpec.Apply(spec, SessionName.Parse("demo"), 2));

        var agent = Agent(spec);
        Assert.Null(agent.ReadinessProbe);
        Assert.Equal(["test", "-e", "/tmp/.paude-credentials-restored"], agent.StartupProbe.Exec.Command);
        Assert.True(agent.StartupProbe.FailureThreshold * agent.StartupProbe.PeriodSeconds >= 300, "large credentials get minutes to restore");
        Assert.False(CredentialPodSpec.Apply(spec, SessionName.Parse("demo"), 2));
        Assert.True(CredentialPodSpec.Apply(spec, SessionName.Parse("demo"), 0));
        Assert.Null(Agent(spec).StartupProbe);
    }

    [Fact]
    public void A_pod_template_with_the_old_readiness_probe_is_moved_to_the_startup_probe()
    {
        var spec = PodSpec();
        CredentialPodSpec.Apply(spec, SessionName.Parse("demo"), 1);
        var agent = Agent(spec);
        agent.ReadinessProbe = agent.StartupProbe;
        agent.StartupProbe = null;

        Assert.True(CredentialPodSpec.Apply(spec, SessionName.Parse("demo"), 1));

        Assert.Null(Agent(spec).ReadinessProbe);
        Assert.NotNull(Agent(spec).StartupProbe);
    }
}
