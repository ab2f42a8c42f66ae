using k8s;
using k8s.Models;
using Newtonsoft.Json.Linq;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Backends.OpenShift.Tests.Manifests;
using Paude.Credentials;
using Paude.Sessions;
using Snapshooter.Xunit;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>The pure parts of credential delivery: the pod template the parts produce and the Secret bodies.</summary>
public sealed class CredentialManifestTests
{
    private static readonly SessionName Demo = SessionName.Parse("demo");

    private static V1StatefulSet StatefulSet(int parts)
    {
        var statefulSet = AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions());
        CredentialPodSpec.Apply(statefulSet.Spec.Template.Spec, Demo, parts);
        return statefulSet;
    }

    [Fact]
    public void StatefulSet_with_three_credential_parts_matches_snapshot() =>
        Snapshot.Match(JToken.Parse(KubernetesJson.Serialize(StatefulSet(3))));

    [Fact]
    public void Apply_mounts_each_part_read_only_0440_and_wraps_the_entrypoint_idempotently()
    {
        var spec = StatefulSet(3).Spec.Template.Spec;
        var agent = spec.Containers.Single();
        var parts = spec.Volumes.Where(v => v.Secret is not null).ToList();
        Assert.Equal(["paude-creds-demo-0", "paude-creds-demo-1", "paude-creds-demo-2"], parts.Select(v => v.Secret.SecretName));
        Assert.All(parts, v => Assert.Equal(Convert.ToInt32("440", 8), v.Secret.DefaultMode));
        Assert.Equal(["/credentials-parts/0000", "/credentials-parts/0001", "/credentials-parts/0002"], agent.VolumeMounts.Where(m => m.ReadOnlyProperty == true).Select(m => m.MountPath));
        Assert.Equal("/bin/bash", agent.Command[0]);
        Assert.Contains("paude-restore-credentials --parts", agent.Command[2], StringComparison.Ordinal);
        Assert.EndsWith("exec /usr/local/bin/paude-entrypoint\n", agent.Command[2], StringComparison.Ordinal);

        // The PVC and the memory-backed /credentials mounts stay; a second apply with the same count changes nothing.
        Assert.Contains(agent.VolumeMounts, m => m.MountPath == "/pvc");
        Assert.Contains(agent.VolumeMounts, m => m.MountPath == "/credentials");
        Assert.Equal("Memory", spec.Volumes.Single(v => v.Name == SessionLabels.CredentialsVolume).EmptyDir.Medium);
        Assert.False(CredentialPodSpec.Apply(spec, Demo, 3));
    }

    [Fact]
    public void Apply_with_another_count_replaces_the_parts_and_zero_removes_the_wrapper()
    {
        var spec = StatefulSet(5).Spec.Template.Spec;
        Assert.True(CredentialPodSpec.Apply(spec, Demo, 2));
        Assert.Equal(2, CredentialPodSpec.PartCount(spec));
        Assert.Equal(2, spec.Containers[0].VolumeMounts.Count(m => m.MountPath.StartsWith("/credentials-parts/", StringComparison.Ordinal)));
        Assert.True(CredentialPodSpec.Apply(spec, Demo, 0));
        Assert.Equal(0, CredentialPodSpec.PartCount(spec));
        Assert.Null(spec.Containers[0].Command);
        Assert.Equal(
            KubernetesJson.Serialize(AgentManifests.StatefulSet(ManifestSnapshotTests.Input(), new OpenShiftBackendOptions()).Spec.Template.Spec),
            KubernetesJson.Serialize(spec));
    }

    [Fact]
    public void The_wrapper_command_holds_no_session_value()
    {
        // Fixed script text and arguments: nothing a user or session controls is pasted into the shell string.
        var other = SessionName.Parse("other-session");
        var a = StatefulSet(1).Spec.Template.Spec.Containers[0].Command;
        var spec = AgentManifests.StatefulSet(ManifestSnapshotTests.Input() with { Name = other }, new OpenShiftBackendOptions()).Spec.Template.Spec;
        CredentialPodSpec.Apply(spec, other, 1);
        Assert.Equal(a, spec.Containers[0].Command);
        Assert.DoesNotContain("demo", string.Join(' ', a), StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_part_with_the_manifest_of_a_100_MiB_package_fits_the_Secret_limit()
    {
        // 100 MiB (the default emptyDir sizeLimit) in 700 KiB parts: 147 manifest lines, all in part 0.
        var longest = SessionName.Parse(new string('a', 40));
        var parts = Enumerable.Range(0, 147).Select(i => new CredentialPartInfo(CredentialParts.PartName(i), CredentialParts.DefaultMaxPartBytes, new string('f', 64))).ToList();
        var manifest = new CredentialPartsManifest(parts, 147L * CredentialParts.DefaultMaxPartBytes, new string('e', 64));
        var secret = CredentialSecrets.Build(longest, "a-namespace-with-a-long-name", 0, CredentialParts.PartName(0), new byte[CredentialParts.DefaultMaxPartBytes], manifest);
        var json = KubernetesJson.Serialize(secret);
        Assert.True(json.Length < CredentialParts.SecretLimitBytes, $"{json.Length} bytes");
        Assert.Equal("Opaque", secret.Type);
        Assert.Equal("credentials", secret.Metadata.Labels["paude.io/role"]);
        Assert.Equal(new string('a', 40), secret.Metadata.Labels["paude.io/session-name"]);
        Assert.Equal(0, CredentialSecrets.IndexOf(longest, secret.Metadata.Name));
        Assert.Null(CredentialSecrets.IndexOf(longest, $"paude-creds-{longest}-x"));
    }
}
