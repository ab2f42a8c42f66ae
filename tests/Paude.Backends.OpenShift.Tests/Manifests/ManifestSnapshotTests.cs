using System.Text;
using k8s;
using k8s.Models;
using Newtonsoft.Json.Linq;
using Paude.Backends.OpenShift.Manifests;
using Paude.Egress;
using Paude.Sessions;
using Snapshooter.Xunit;

namespace Paude.Backends.OpenShift.Tests.Manifests;

public sealed class ManifestSnapshotTests
{
    internal static SessionManifestInput Input(string? user = null) => new(
        SessionName.Parse("demo"),
        "team-a",
        "localhost/paude-agent:latest",
        "localhost/paude-proxy:latest",
        ["claude", "--print", "hello world"],
        new Dictionary<string, string> { ["FOO"] = "bar", ["HTTP_PROXY"] = "http://evil:1" },
        EgressPolicy.Parse(["github", "api.example.com"]),
        Headless: true,
        user,
        ["claude", "git"],
        "/home/dev/project",
        new DateTimeOffset(2026, 11, 27, 6, 0, 0, TimeSpan.Zero));

    private static JToken Json(object manifest) => JToken.Parse(KubernetesJson.Serialize(manifest));

    [Fact]
    public void StatefulSet_matches_snapshot() =>
        Snapshot.Match(Json(AgentManifests.StatefulSet(Input(), new OpenShiftBackendOptions())));

    [Fact]
    public void StatefulSet_with_user_and_storage_class_matches_snapshot() =>
        Snapshot.Match(Json(AgentManifests.StatefulSet(Input("1000680000:0"), new OpenShiftBackendOptions { StorageClass = "fast", StorageSize = "20Gi" })));

    [Fact]
    public void Headless_service_matches_snapshot() => Snapshot.Match(Json(AgentManifests.HeadlessService(Input())));

    [Fact]
    public void Proxy_config_map_matches_snapshot()
    {
        // squid.conf itself belongs to SquidConfig (snapshotted there); here: that it is exactly its output.
        var map = ProxyManifests.ConfigMap(Input(), Input().Egress);
        Assert.Equal(SquidConfig.Render(Input().Egress), map.Data[SessionLabels.SquidConfKey]);
        map.Data[SessionLabels.SquidConfKey] = "<SquidConfig.Render(policy)>";
        Snapshot.Match(Json(map));
    }

    [Fact]
    public void Proxy_deployment_matches_snapshot() =>
        Snapshot.Match(Json(ProxyManifests.Deployment(Input(), new OpenShiftBackendOptions(), "0123456789abcdef")));

    [Fact]
    public void Proxy_service_matches_snapshot() => Snapshot.Match(Json(ProxyManifests.Service(Input())));

    [Fact]
    public void Agent_policy_matches_snapshot() => Snapshot.Match(Json(NetworkPolicyManifests.Agent(Input())));

    [Fact]
    public void Proxy_policy_matches_snapshot() => Snapshot.Match(Json(NetworkPolicyManifests.Proxy(Input())));

    [Fact]
    public void Every_pod_passes_restricted_v2_settings()
    {
        var options = new OpenShiftBackendOptions();
        V1PodSpec[] pods =
        [
            AgentManifests.StatefulSet(Input(), options).Spec.Template.Spec,
            ProxyManifests.Deployment(Input(), options, "h").Spec.Template.Spec,
        ];
        foreach (var pod in pods)
        {
            Assert.False(pod.AutomountServiceAccountToken);
            Assert.False(pod.EnableServiceLinks);
            Assert.True(pod.SecurityContext.RunAsNonRoot);
            Assert.Null(pod.SecurityContext.RunAsUser); // the SCC assigns one
            Assert.Equal("RuntimeDefault", pod.SecurityContext.SeccompProfile.Type);
            Assert.Null(pod.HostNetwork);
            foreach (var container in pod.Containers)
            {
                Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
                Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);
                Assert.Null(container.SecurityContext.Privileged);
                Assert.Null(container.WorkingDir);
            }
        }
    }

    [Fact]
    public void Agent_env_follows_the_runtime_contract_and_user_env_cannot_override_the_proxy()
    {
        var container = AgentManifests.StatefulSet(Input(), new OpenShiftBackendOptions()).Spec.Template.Spec.Containers[0];
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal("http://proxy-paude-demo:3128", env["HTTP_PROXY"]);
        Assert.Equal("http://proxy-paude-demo:3128", env["https_proxy"]);
        Assert.Equal("/pvc/workspace", env["PAUDE_WORKSPACE"]);
        Assert.Equal("1", env["PAUDE_HEADLESS"]);
        Assert.Equal("bar", env["FOO"]);
        var argv = Encoding.UTF8.GetString(Convert.FromBase64String(env["PAUDE_AGENT_ARGV"])).Split('\0');
        Assert.Equal(["claude", "--print", "hello world"], argv);
        Assert.Single(container.Env, e => e.Name == "HTTP_PROXY");
    }

    [Fact]
    public void Credentials_volume_is_memory_backed_and_not_on_the_workspace()
    {
        var pod = AgentManifests.StatefulSet(Input(), new OpenShiftBackendOptions()).Spec.Template.Spec;
        var volume = Assert.Single(pod.Volumes, v => v.Name == SessionLabels.CredentialsVolume);
        Assert.Equal("Memory", volume.EmptyDir.Medium);
        var mount = Assert.Single(pod.Containers[0].VolumeMounts, m => m.MountPath == "/credentials");
        Assert.NotEqual(SessionLabels.WorkspaceVolume, mount.Name);
    }

    [Fact]
    public void Config_hash_changes_with_the_allow_list_only()
    {
        var a = ProxyManifests.ConfigHash(ProxyManifests.ConfigData(EgressPolicy.Parse(["github"])));
        var b = ProxyManifests.ConfigHash(ProxyManifests.ConfigData(EgressPolicy.Parse(["github"])));
        var c = ProxyManifests.ConfigHash(ProxyManifests.ConfigData(EgressPolicy.Parse(["github", "pypi.org"])));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Session_config_round_trips_through_the_statefulset_annotations()
    {
        var set = AgentManifests.StatefulSet(Input("1000680000:0"), new OpenShiftBackendOptions());
        var back = SessionConfig.ToInput(SessionName.Parse("demo"), "team-a", set);
        Assert.Equal(Input().AgentCommand, back.AgentCommand);
        Assert.Equal(Input().Egress, back.Egress);
        Assert.Equal(["claude", "git"], back.Credentials);
        Assert.Equal("1000680000:0", back.User);
        Assert.Equal("/home/dev/project", back.Workspace);
        Assert.Equal(Input().CreatedAt, back.CreatedAt);
        Assert.Equal("localhost/paude-proxy:latest", back.ProxyImage);
    }

    [Fact]
    public void A_deny_all_allow_list_reads_back_as_deny_all_not_the_default()
    {
        var set = AgentManifests.StatefulSet(Input() with { Egress = EgressPolicy.Parse([]) }, new OpenShiftBackendOptions());
        var back = SessionConfig.ToInput(SessionName.Parse("demo"), "team-a", set);
        Assert.Empty(back.Egress.Entries);
        Assert.False(back.Egress.Allows("api.anthropic.com"));
    }
}
