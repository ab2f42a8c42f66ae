using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>Pure builders of the agent's objects: the StatefulSet <c>paude-&lt;n&gt;</c> and its headless Service.</summary>
internal static class AgentManifests
{
    public static V1StatefulSet StatefulSet(SessionManifestInput input, OpenShiftBackendOptions options, int replicas = 1)
    {
        var name = SessionLabels.Agent(input.Name);
        var podLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent);
        var pvcSpec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(SessionPlacement.StorageSize(input, options)) } },
            StorageClassName = SessionPlacement.StorageClass(input, options),
        };

        return new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = input.Namespace,
                Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent),
                Annotations = SessionAnnotations(input),
            },
            Spec = new V1StatefulSetSpec
            {
                Replicas = replicas,
                ServiceName = name,
                Selector = new V1LabelSelector { MatchLabels = podLabels },
                PodManagementPolicy = "Parallel",
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = podLabels },
                    Spec = new V1PodSpec
                    {
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        RestartPolicy = "Always",
                        TerminationGracePeriodSeconds = 5,
                        SecurityContext = PodSecurity.Pod(options, input.User),
                        ImagePullSecrets = SessionPlacement.PullSecrets(input, options),
                        NodeSelector = SessionPlacement.NodeSelector(input),
                        Tolerations = SessionPlacement.Tolerations(input),
                        Containers =
                        [
                            new V1Container
                            {
                                Name = SessionLabels.AgentContainer,
                                Image = input.AgentImage,
                                ImagePullPolicy = options.ImagePullPolicy,
                                Env = Environment(input),
                                Resources = PodSecurity.AgentResources(options.AgentResources, input.Limits),
                                SecurityContext = PodSecurity.Container(),

                                // No workingDir: the kubelet would create it root-owned (upstream ccea90f).
                                VolumeMounts =
                                [
                                    new V1VolumeMount { Name = SessionLabels.WorkspaceVolume, MountPath = AgentContract.WorkspaceMount },
                                    new V1VolumeMount { Name = SessionLabels.CredentialsVolume, MountPath = AgentContract.CredentialsPath },
                                ],
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume
                            {
                                Name = SessionLabels.CredentialsVolume,
                                EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory", SizeLimit = new ResourceQuantity(options.CredentialsSizeLimit) },
                            },
                        ],
                    },
                },
                // Read by the StatefulSet controller only, never by this backend: the template is immutable, so after an
                // upgrade grew the claim it still names the size the session was created with. The size in force is the
                // claim's own (WorkspaceGrowth reads it) and the record's (paude.io/cluster); the StatefulSet is never
                // re-created to align the template, as it holds the session's record and a kill in between would lose it.
                VolumeClaimTemplates =
                [
                    new V1PersistentVolumeClaim
                    {
                        Metadata = new V1ObjectMeta { Name = SessionLabels.WorkspaceVolume, Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent) },
                        Spec = pvcSpec,
                    },
                ],
            },
        };
    }

    public static V1Service HeadlessService(SessionManifestInput input) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta
        {
            Name = SessionLabels.Agent(input.Name),
            NamespaceProperty = input.Namespace,
            Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent),
        },
        Spec = new V1ServiceSpec
        {
            ClusterIP = "None",

            // The StatefulSet's governing Service: the agent pod has its DNS name from its start, not only once its
            // startup probe passes (nothing routes through this name; it names the pod, it does not balance to it).
            PublishNotReadyAddresses = true,
            Selector = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent),
        },
    };

    /// <summary>The session record stored on the StatefulSet: annotations hold what labels cannot.</summary>
    public static Dictionary<string, string> SessionAnnotations(SessionManifestInput input)
    {
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        SessionRecordCodec.Write(input.Record, annotations, SessionRecordEncoding.PlainText);
        return annotations;
    }

    public static string ProxyUrl(SessionManifestInput input) => $"http://{SessionLabels.Proxy(input.Name)}:{SquidConfig.Port}";

    private static List<V1EnvVar> Environment(SessionManifestInput input)
    {
        var env = AgentContract.Environment(input.Name, input.AgentCommand, input.Headless, ProxyUrl(input))
            .Select(e => new V1EnvVar { Name = e.Key, Value = e.Value })
            .ToList();
        var reserved = env.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, value) in input.Environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!reserved.Contains(key))
            {
                env.Add(new V1EnvVar { Name = key, Value = value });
            }
        }

        return env;
    }
}
