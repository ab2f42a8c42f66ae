using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Turns the NetworkPolicies selecting one pod into an <c>iptables-restore</c> script for the pod's own network
/// namespace (its OUTPUT chain for egress, INPUT for ingress), the way a CNI plugin enforces them per pod:
/// <list type="bullet">
/// <item>pod peers (podSelector, namespaceSelector) → the current IPs of the matching pods on the server;</item>
/// <item>a namespaceSelector matching <c>kube-system</c> or <c>openshift-dns</c> → the server network's DNS (the
/// gateway address), which stands in for the cluster DNS;</item>
/// <item>ipBlock → "outside the cluster": any address except the server's pods and its node (the gateway), since
/// here the outside world lives on the same private network (<c>except</c> ranges are therefore not applied);</item>
/// <item>ingress from the node (readiness probes, like a kubelet's) is always allowed; replies are allowed.</item>
/// </list>
/// Returns <c>null</c> when no policy selects the pod (all traffic allowed, as in Kubernetes).
/// </summary>
internal static class NetworkPolicyRules
{
    private static readonly string[] DnsNamespaces = ["kube-system", "openshift-dns"];

    /// <param name="pod">The pod.</param>
    /// <param name="policies">Every NetworkPolicy of the pod's namespace.</param>
    /// <param name="pods">Every pod of the server with its IP (pods without an IP yet are left out).</param>
    /// <param name="namespaces">Every namespace object.</param>
    /// <param name="gateway">The node's address on the pod network (also its DNS).</param>
    public static string? Script(JsonObject pod, IEnumerable<JsonObject> policies, IReadOnlyList<(JsonObject Pod, string Ip)> pods, IEnumerable<JsonObject> namespaces, string gateway)
    {
        var labels = pod.Labels();
        var selecting = policies.Where(p => Selectors.Matches(p["spec"]?["podSelector"] ?? new JsonObject(), labels)).ToList();
        if (selecting.Count == 0)
        {
            return null;
        }

        var context = new PeerContext(pod.Namespace()!, pods, namespaces.ToList(), gateway);
        var script = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        var chains = 0;
        foreach (var (direction, chain, peerKey, rulesKey) in new[] { ("Egress", "OUTPUT", "to", "egress"), ("Ingress", "INPUT", "from", "ingress") })
        {
            var restricting = selecting.Where(p => Types(p).Contains(direction)).ToList();
            if (restricting.Count == 0)
            {
                continue;
            }

            var address = chain == "OUTPUT" ? "-d" : "-s";
            script.Append(chain == "OUTPUT" ? "-A OUTPUT -o lo -j ACCEPT\n" : "-A INPUT -i lo -j ACCEPT\n");
            script.Append(CultureInfo.InvariantCulture, $"-A {chain} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n");
            if (chain == "INPUT")
            {
                script.Append(CultureInfo.InvariantCulture, $"-A INPUT -s {gateway}/32 -j ACCEPT\n");
            }

            foreach (var rule in restricting.SelectMany(p => p["spec"]?[rulesKey] as JsonArray ?? []).OfType<JsonObject>())
            {
                var ports = Ports(rule["ports"] as JsonArray);
                var peers = rule[peerKey] as JsonArray;
                if (peers is null || peers.Count == 0)
                {
                    foreach (var port in ports)
                    {
                        script.Append(CultureInfo.InvariantCulture, $"-A {chain}{port} -j ACCEPT\n");
                    }

                    continue;
                }

                foreach (var peer in peers.OfType<JsonObject>())
                {
                    if (peer["ipBlock"] is JsonObject block && block.Str("cidr") is { } cidr)
                    {
                        if (cidr.Contains(':', StringComparison.Ordinal))
                        {
                            continue; // The pod network is IPv4 only.
                        }

                        var name = $"PEER{++chains}";
                        script.Insert(script.ToString().IndexOf(":OUTPUT", StringComparison.Ordinal), $":{name} - [0:0]\n");
                        foreach (var inside in context.Pods.Select(p => p.Ip).Append(gateway).Distinct(StringComparer.Ordinal))
                        {
                            script.Append(CultureInfo.InvariantCulture, $"-A {name} {address} {inside}/32 -j RETURN\n");
                        }

                        script.Append(CultureInfo.InvariantCulture, $"-A {name} -j ACCEPT\n");
                        foreach (var port in ports)
                        {
                            script.Append(CultureInfo.InvariantCulture, $"-A {chain} {address} {cidr}{port} -j {name}\n");
                        }

                        continue;
                    }

                    foreach (var ip in context.PeerAddresses(peer, direction == "Egress"))
                    {
                        foreach (var port in ports)
                        {
                            script.Append(CultureInfo.InvariantCulture, $"-A {chain} {address} {ip}/32{port} -j ACCEPT\n");
                        }
                    }
                }
            }

            // Refused at once (as a policy drop looks to a client that gets no answer, but without waiting out a timeout).
            script.Append(CultureInfo.InvariantCulture, $"-A {chain} -p tcp -j REJECT --reject-with tcp-reset\n-A {chain} -j REJECT\n");
        }

        return script.Append("COMMIT\n").ToString();
    }

    /// <summary>The policy's types: as written, else Ingress plus Egress when it has egress rules (the API default).</summary>
    private static HashSet<string> Types(JsonObject policy)
    {
        var types = PodLaunch.Strings(policy["spec"]?["policyTypes"]).ToHashSet(StringComparer.Ordinal);
        if (types.Count == 0)
        {
            types.Add("Ingress");
            if (policy["spec"]?["egress"] is JsonArray { Count: > 0 })
            {
                types.Add("Egress");
            }
        }

        return types;
    }

    /// <summary>iptables match suffixes, one per port (" -p tcp --dport 3128"); all ports of all protocols when none.</summary>
    private static List<string> Ports(JsonArray? ports)
    {
        if (ports is null || ports.Count == 0)
        {
            return [""];
        }

        var result = new List<string>();
        foreach (var port in ports.OfType<JsonObject>())
        {
            var protocol = (port.Str("protocol") ?? "TCP").ToLowerInvariant();
            if (protocol is not ("tcp" or "udp" or "sctp"))
            {
                continue;
            }

            // A named port cannot be resolved without the peer's container spec: any port of the protocol (wider).
            var number = port["port"] is JsonValue v && v.TryGetValue<int>(out var n) ? n : (int?)null;
            var end = port["endPort"] is JsonValue e && e.TryGetValue<int>(out var m) ? m : (int?)null;
            result.Add(number is null ? $" -p {protocol}" : end is null ? $" -p {protocol} --dport {number}" : $" -p {protocol} --dport {number}:{end}");
        }

        return result;
    }

    private sealed record PeerContext(string Namespace, IReadOnlyList<(JsonObject Pod, string Ip)> Pods, List<JsonObject> Namespaces, string Gateway)
    {
        public IEnumerable<string> PeerAddresses(JsonObject peer, bool egress)
        {
            var podSelector = peer["podSelector"] ?? new JsonObject();
            IEnumerable<string> namespaces = [Namespace];
            if (peer["namespaceSelector"] is JsonObject nsSelector)
            {
                namespaces = Namespaces.Where(n => Selectors.Matches(nsSelector, n.Labels())).Select(n => n.Name()).ToList();

                // The cluster DNS: its namespaces need not exist here; the network's DNS answers in their place.
                if (egress && DnsNamespaces.Any(d => Selectors.Matches(nsSelector, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = d })))
                {
                    yield return Gateway;
                }
            }

            var inNamespaces = namespaces.ToHashSet(StringComparer.Ordinal);
            foreach (var (pod, ip) in Pods)
            {
                if (inNamespaces.Contains(pod.Namespace() ?? "") && Selectors.Matches(podSelector, pod.Labels()))
                {
                    yield return ip;
                }
            }
        }
    }
}
