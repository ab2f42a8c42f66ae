using System.Security.Cryptography;
using System.Text;
using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// Pure builders of the proxy's objects: ConfigMap, Deployment and Service <c>proxy-paude-&lt;n&gt;</c>. The pod
/// template carries a hash of the config, so changing the allow-list rolls out a new proxy pod.
/// </summary>
internal static class ProxyManifests
{
    public static V1ConfigMap ConfigMap(SessionManifestInput input, EgressPolicy policy) => new()
    {
        ApiVersion = "v1",
        Kind = "ConfigMap",
        Metadata = new V1ObjectMeta
        {
            Name = SessionLabels.Proxy(input.Name),
            NamespaceProperty = input.Namespace,
            Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy),
        },
        Data = ConfigData(policy),
    };

    public static Dictionary<string, string> ConfigData(EgressPolicy policy) => new(StringComparer.Ordinal)
    {
        [SessionLabels.SquidConfKey] = SquidConfig.Render(policy),
        [SessionLabels.PolicyKey] = string.Join(",", policy.Entries),
    };

    public static string ConfigHash(IDictionary<string, string> data)
    {
        var text = string.Join("\0", data.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + "=" + kv.Value));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    public static V1Deployment Deployment(SessionManifestInput input, OpenShiftBackendOptions options, string configHash, int replicas = 1)
    {
        var podLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy);
        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta
            {
                Name = SessionLabels.Proxy(input.Name),
                NamespaceProperty = input.Namespace,
                Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy),
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas,
                Selector = new V1LabelSelector { MatchLabels = podLabels },

                // One proxy per session: replace rather than run two side by side during a rollout.
                Strategy = new V1DeploymentStrategy { Type = "Recreate" },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta
                    {
                        Labels = podLabels,
                        Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [SessionLabels.ConfigHash] = configHash },
                    },
                    Spec = new V1PodSpec
                    {
                        AutomountServiceAccountToken = false,
                        EnableServiceLinks = false,
                        TerminationGracePeriodSeconds = 5,
                        SecurityContext = PodSecurity.Pod(options, input.User),
                        ImagePullSecrets = SessionPlacement.PullSecrets(input, options),
                        NodeSelector = SessionPlacement.NodeSelector(input),
                        Tolerations = SessionPlacement.Tolerations(input),
                        Containers =
                        [
                            new V1Container
                            {
                                Name = SessionLabels.ProxyContainer,
                                Image = input.ProxyImage,
                                ImagePullPolicy = options.ImagePullPolicy,
                                Ports = [new V1ContainerPort { Name = "proxy", ContainerPort = SquidConfig.Port, Protocol = "TCP" }],

                                // Running is not serving: squid parses its config before it listens, so the Deployment
                                // (and with it create/start) counts the proxy ready only once the port accepts connections.
                                ReadinessProbe = new V1Probe
                                {
                                    TcpSocket = new V1TCPSocketAction { Port = SquidConfig.Port },
                                    PeriodSeconds = 1,
                                    FailureThreshold = 3,
                                },
                                Resources = PodSecurity.Resources(options.ProxyResources),
                                SecurityContext = PodSecurity.Container(),
                                VolumeMounts = [new V1VolumeMount { Name = SessionLabels.ProxyConfigVolume, MountPath = SquidConfig.ConfigDirectory, ReadOnlyProperty = true }],
                            },
                        ],
                        Volumes =
                        [
                            new V1Volume
                            {
                                Name = SessionLabels.ProxyConfigVolume,
                                ConfigMap = new V1ConfigMapVolumeSource
                                {
                                    Name = SessionLabels.Proxy(input.Name),
                                    Items = [new V1KeyToPath { Key = SessionLabels.SquidConfKey, Path = SessionLabels.SquidConfKey }],
                                },
                            },
                        ],
                    },
                },
            },
        };
    }

    public static V1Service Service(SessionManifestInput input) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = new V1ObjectMeta
        {
            Name = SessionLabels.Proxy(input.Name),
            NamespaceProperty = input.Namespace,
            Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy),
        },
        Spec = new V1ServiceSpec
        {
            Selector = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy),
            Ports = [new V1ServicePort { Name = "proxy", Port = SquidConfig.Port, TargetPort = SquidConfig.Port, Protocol = "TCP" }],
        },
    };
}
