using Paude.Sessions;

namespace Paude.Tests.Sessions;

/// <summary>
/// The spec's requests, GPUs, storage, placement and pull secrets are checked with Kubernetes' own rules and every
/// problem is listed with the others (the backends add only what they cannot do, see their own tests).
/// </summary>
public sealed class ClusterSpecValidationTests
{
    [Fact]
    public void AFullClusterSpecIsValid()
    {
        var spec = new SessionSpec
        {
            Name = SessionName.Parse("ok"),
            Limits = new SessionLimits { Cpus = 4, CpuRequest = 4, MemoryRequestBytes = 4L << 30, Gpus = 8 },
            WorkspaceSizeBytes = 50L << 30,
            StorageClass = "gp3.encrypted",
            NodeSelector = new Dictionary<string, string> { ["node.kubernetes.io/instance-type"] = "g5.xlarge", ["pool"] = "" },
            Tolerations =
            [
                new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule"),
                new SessionToleration(null, "Exists"),
                new SessionToleration("dedicated", "Equal", "paude_agents", "NoExecute") { TolerationSeconds = 30 },
            ],
            ImagePullSecrets = ["regcred", "quay.robot"],
        };

        Assert.Empty(spec.GetErrors());
        Assert.Empty(new SessionLimits { Gpus = SessionLimits.AllGpus }.GetErrors());
    }

    [Fact]
    public void EveryClusterProblemIsListedTogether()
    {
        var spec = new SessionSpec
        {
            Name = SessionName.Parse("bad"),
            Limits = new SessionLimits { MemoryBytes = 128L << 20, Cpus = 1, CpuRequest = 1.5, MemoryRequestBytes = 1024, Gpus = 65 },
            WorkspaceSizeBytes = 0,
            StorageClass = "UPPER",
            NodeSelector = new Dictionary<string, string> { ["-lead"] = "x", ["ok/also/no"] = "y", ["fine"] = new string('v', 64) },
            Tolerations =
            [
                new SessionToleration(null),
                new SessionToleration("k", "Maybe", null, "Never"),
                new SessionToleration("k", "Equal", "v", "NoSchedule") { TolerationSeconds = 5 },
                null!,
            ],
            ImagePullSecrets = ["", "a_b", new string('a', 254)],
        };

        var errors = spec.GetErrors();

        string[] expected =
        [
            "Limits.CpuRequest: 1.5 is not between 0.001 and the CPU limit (1)",
            "Limits.MemoryRequestBytes: 1024 is not between 4 MiB (4194304) and the memory limit (134217728)",
            "Limits.Gpus: 65 is not between 0 and 64 (or AllGpus, -1)",
            "WorkspaceSizeBytes: 0 is below the minimum of 1 MiB (1048576)",
            "StorageClass: 'UPPER' is not a StorageClass name (DNS-1123 subdomain)",
            "NodeSelector: key '-lead' is not a Kubernetes label key",
            "NodeSelector: key 'ok/also/no' is not a Kubernetes label key",
            $"NodeSelector: value '{new string('v', 64)}' of 'fine' is not a Kubernetes label value",
            "Tolerations[0]: a toleration without a key must use the Exists operator",
            "Tolerations[1]: operator 'Maybe' is not Equal or Exists",
            "Tolerations[1]: effect 'Never' is not NoSchedule, PreferNoSchedule or NoExecute",
            "Tolerations[2]: TolerationSeconds applies only to the NoExecute effect",
            "Tolerations[3]: must not be null",
            "ImagePullSecrets: '' is not a Secret name (DNS-1123 subdomain)",
            "ImagePullSecrets: 'a_b' is not a Secret name (DNS-1123 subdomain)",
            $"ImagePullSecrets: '{new string('a', 254)}' is not a Secret name (DNS-1123 subdomain)",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), errors.Order(StringComparer.Ordinal));
    }
}
