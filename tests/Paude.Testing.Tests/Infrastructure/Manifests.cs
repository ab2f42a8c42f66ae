using k8s.Models;

namespace Paude.Tests.Infrastructure;

public static class Manifests
{
    public const string Image = "localhost/paude-base:ci";

    public static V1StatefulSet StatefulSet(string name, int replicas = 1, string[]? command = null, V1PodSecurityContext? podSecurity = null, V1SecurityContext? security = null, List<V1EnvVar>? env = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1StatefulSetSpec
        {
            Replicas = replicas,
            ServiceName = name,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    SecurityContext = podSecurity,
                    TerminationGracePeriodSeconds = 1,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "main",
                            Image = Image,
                            Command = command ?? ["sleep", "infinity"],
                            Env = env,
                            SecurityContext = security,
                            VolumeMounts = [new V1VolumeMount { Name = "data", MountPath = "/data" }],
                        },
                    ],
                },
            },
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                    },
                },
            ],
        },
    };

    public static V1Pod Pod(string name, string image = Image, string[]? command = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = name } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers = [new V1Container { Name = "main", Image = image, Command = command ?? ["sleep", "infinity"] }],
        },
    };
}
