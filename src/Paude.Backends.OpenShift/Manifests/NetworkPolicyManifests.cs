using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// The session's NetworkPolicies: the agent may only reach DNS and its own proxy; the proxy accepts connections
/// only from its agent. DNS peers need <c>namespaceSelector: {}</c> and <c>podSelector: {}</c> together (OVN-Kubernetes)
/// and port 5353 as well as 53 (OpenShift's DNS pods listen on 5353).
/// </summary>
internal static class NetworkPolicyManifests
{
    public static V1NetworkPolicy AgentEgress(SessionManifestInput input) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta
        {
            Name = SessionLabels.AgentPolicy(input.Name),
            NamespaceProperty = input.Namespace,
            Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent),
        },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent) },
            PolicyTypes = ["Egress"],
            Egress =
            [
                new V1NetworkPolicyEgressRule
                {
                    To = [new V1NetworkPolicyPeer { NamespaceSelector = new V1LabelSelector(), PodSelector = new V1LabelSelector() }],
                    Ports =
                    [
                        new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 },
                        new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 },
                        new V1NetworkPolicyPort { Protocol = "UDP", Port = 5353 },
                        new V1NetworkPolicyPort { Protocol = "TCP", Port = 5353 },
                    ],
                },
                new V1NetworkPolicyEgressRule
                {
                    To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy) } }],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = SquidConfig.Port }],
                },
            ],
        },
    };

    public static V1NetworkPolicy ProxyIngress(SessionManifestInput input) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta
        {
            Name = SessionLabels.ProxyPolicy(input.Name),
            NamespaceProperty = input.Namespace,
            Labels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy),
        },
        Spec = new V1NetworkPolicySpec
        {
            PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy) },
            PolicyTypes = ["Ingress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent) } }],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = SquidConfig.Port }],
                },
            ],
        },
    };
}
