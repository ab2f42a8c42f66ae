using k8s.Models;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Manifests;

/// <summary>
/// The session's two NetworkPolicies, one per role, each restricting both directions:
/// <list type="bullet">
/// <item>agent (<c>paude-&lt;n&gt;</c>): no ingress at all (exec and logs go through the kubelet, not the pod
/// network); egress only to its own proxy pod on 3128 and to the cluster DNS pods.</item>
/// <item>proxy (<c>proxy-paude-&lt;n&gt;</c>): ingress only from its own agent on 3128; egress only to TCP 80/443
/// outside the cluster (every private, shared, loopback and link-local range excepted, so neither the node, the
/// cloud metadata service, other pods nor Services are reachable even with the allow-list <c>all</c>) and DNS.</item>
/// </list>
/// Why the agent keeps DNS: its proxy is addressed by Service name (<c>HTTP_PROXY=http://proxy-paude-&lt;n&gt;:3128</c>),
/// which only the cluster DNS resolves. It is limited to the DNS pods (namespaces <c>openshift-dns</c> and
/// <c>kube-system</c>), not any pod on 53. The cluster DNS still answers external names, so lookups remain a
/// narrow side channel on this backend (pinning the proxy's ClusterIP in <c>hostAliases</c> would remove it).
/// DNS peers need a namespace and a pod selector together (OVN-Kubernetes), and port 5353 as well as 53 (OpenShift's
/// DNS pods listen on 5353 behind the Service's 53).
/// </summary>
internal static class NetworkPolicyManifests
{
    /// <summary>Ranges the proxy may never connect to: RFC 1918, CGNAT (RFC 6598), loopback, link-local, ULA.</summary>
    public static readonly IReadOnlyList<string> PrivateV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"];

    /// <summary>IPv6 ranges the proxy may never connect to: unique-local, link-local, loopback.</summary>
    public static readonly IReadOnlyList<string> PrivateV6 = ["fc00::/7", "fe80::/10", "::1/128"];

    public static V1NetworkPolicy Agent(SessionManifestInput input) => new()
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

            // Ingress listed with no rules: nothing may connect to the agent.
            PolicyTypes = ["Ingress", "Egress"],
            Ingress = [],
            Egress =
            [
                ClusterDns(),
                new V1NetworkPolicyEgressRule
                {
                    To = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleProxy) } }],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = SquidConfig.Port }],
                },
            ],
        },
    };

    public static V1NetworkPolicy Proxy(SessionManifestInput input) => new()
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
            PolicyTypes = ["Ingress", "Egress"],
            Ingress =
            [
                new V1NetworkPolicyIngressRule
                {
                    FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = SessionLabels.ForRole(input.Name, SessionLabelKeys.RoleAgent) } }],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = SquidConfig.Port }],
                },
            ],
            Egress =
            [
                ClusterDns(),
                new V1NetworkPolicyEgressRule
                {
                    To =
                    [
                        new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "0.0.0.0/0", Except = [.. PrivateV4] } },
                        new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = "::/0", Except = [.. PrivateV6] } },
                    ],
                    Ports = [new V1NetworkPolicyPort { Protocol = "TCP", Port = 80 }, new V1NetworkPolicyPort { Protocol = "TCP", Port = 443 }],
                },
            ],
        },
    };

    /// <summary>The cluster DNS pods (OpenShift: openshift-dns on 5353; Kubernetes: kube-system on 53).</summary>
    private static V1NetworkPolicyEgressRule ClusterDns() => new()
    {
        To =
        [
            new V1NetworkPolicyPeer
            {
                NamespaceSelector = new V1LabelSelector
                {
                    MatchExpressions = [new V1LabelSelectorRequirement { Key = "kubernetes.io/metadata.name", OperatorProperty = "In", Values = ["openshift-dns", "kube-system"] }],
                },
                PodSelector = new V1LabelSelector(),
            },
        ],
        Ports =
        [
            new V1NetworkPolicyPort { Protocol = "UDP", Port = 53 },
            new V1NetworkPolicyPort { Protocol = "TCP", Port = 53 },
            new V1NetworkPolicyPort { Protocol = "UDP", Port = 5353 },
            new V1NetworkPolicyPort { Protocol = "TCP", Port = 5353 },
        ],
    };
}
