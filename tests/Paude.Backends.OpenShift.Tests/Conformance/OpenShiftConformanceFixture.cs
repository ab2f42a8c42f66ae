using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance;
using Paude.DependencyInjection;
using Paude.Egress;
using Paude.Sessions;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Conformance;

/// <summary>
/// The OpenShift backend for the conformance suite: its own Kubernetes test server (restricted-v2 admission on,
/// pods are real Podman containers on the server's network <c>kt-&lt;serverId&gt;</c>) and, on that same network,
/// one busybox httpd container answering as allowed/denied/later.paude.test — the hermetic outside world the
/// session proxies resolve through the network's DNS (no internet needed).
/// </summary>
public sealed class OpenShiftConformanceFixture : ConformanceFixture
{
    public const string Namespace = "paude-conformance";

    private ServiceProvider? _services;
    private ISessionBackend? _backend;

    public KubernetesTestServer Server { get; private set; } = null!;

    /// <summary>The outside-world container; named with the run id and labelled with it and the server's id.</summary>
    public string Outside => $"paude-test-{RunId}-outside";

    public override ISessionBackend Backend => _backend ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>
    /// The test server enforces NetworkPolicies in each pod's network namespace (see Paude.Testing's README), so the
    /// suite makes the real direct connections; the declared policies are checked by Sandbox.NetworkIsolationTests.
    /// </summary>
    public override bool EnforcesNetworkIsolation => true;

    public override async Task InitializeAsync()
    {
        Server = await KubernetesTestServer.StartAsync(new KubernetesTestServerOptions
        {
            // First, so restricted-v2 gives it the UID range starting at 1000680000: the suite runs its shared
            // session as ArbitraryUser (1000680000:0), which admission refuses outside the namespace's range.
            Namespaces = [Namespace, "default"],
            OpenShiftRestricted = true,
            ResourceLabels = new Dictionary<string, string> { ["paude.test"] = RunId },
        });

        // Labelled with the server's id too, so the server's own disposal removes it even if ours is skipped.
        (await Podman.RunAsync(
        [
            "run", "-d", "--name", Outside, "--label", $"paude.test={RunId}", "--label", $"paude.kubetest={Server.ServerId}",
            "--network", Server.PodNetwork,
            "--network-alias", AllowedHost, "--network-alias", DeniedHost, "--network-alias", LaterHost,
            "localhost/paude-base:ci", "sh", "-c", "mkdir -p /www && echo outside-ok > /www/index.html && exec busybox httpd -f -p 80 -h /www",
        ])).EnsureSuccess("starting the outside-world container");

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = Server.KubeconfigPath;
            o.Namespace = Namespace;
            o.ReadyTimeout = TimeSpan.FromMinutes(3);
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
        });
        _services = services.BuildServiceProvider();
        _backend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
    }

    public override async Task<string> OutsideAddressAsync(CancellationToken cancellationToken = default)
    {
        var outcome = (await Podman.RunAsync(["inspect", "--format", $"{{{{(index .NetworkSettings.Networks \"{Server.PodNetwork}\").IPAddress}}}}", Outside], cancellationToken: cancellationToken))
            .EnsureSuccess("inspecting the outside-world container");
        return outcome.StandardOutput.Trim();
    }

    public override async Task<IReadOnlyList<string>> ListSessionResourcesAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        // The API objects as the real kubectl lists them by the session label, plus the Podman containers and
        // volumes the server made for the session's pods and claim (what would leak on the node).
        var objects = (await ProcessRunner.RunAsync("kubectl",
        [
            "--kubeconfig", Server.KubeconfigPath, "-n", Namespace, "get",
            "statefulset,deployment,replicaset,pod,pvc,svc,networkpolicy,secret,configmap",
            "-l", $"paude.io/session-name={name.Value}", "-o", "name",
        ], cancellationToken: cancellationToken)).EnsureSuccess("kubectl get").StandardOutput;
        var found = objects.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var pvc = await ProcessRunner.RunAsync("kubectl", ["--kubeconfig", Server.KubeconfigPath, "-n", Namespace, "get", "pvc", $"workspace-paude-{name.Value}-0", "-o", "name"], cancellationToken: cancellationToken);
        if (pvc.ExitCode == 0)
        {
            found.Add(pvc.StandardOutput.Trim());
        }

        var filter = $"label=paude.kubetest={Server.ServerId}";
        var containers = await Podman.LinesAsync(["ps", "-a", "--filter", filter, "--format", "{{.Names}}"], cancellationToken);
        var volumes = await Podman.LinesAsync(["volume", "ls", "--filter", filter, "--format", "{{.Name}}"], cancellationToken);
        found.AddRange(containers
            .Where(c => c.Contains($"-paude-{name.Value}-", StringComparison.Ordinal) || c.Contains($"-proxy-paude-{name.Value}-", StringComparison.Ordinal))
            .Select(c => "podman container " + c));
        found.AddRange(volumes
            .Where(v => v.EndsWith($"-paude-{name.Value}-0", StringComparison.Ordinal))
            .Select(v => "podman volume " + v));
        return [.. found.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// What a NetworkPolicy-enforcing cluster needs to block the bypass: the agent's policy selects the live agent pod,
    /// admits nothing, allows only the cluster DNS pods and TCP 3128 to the pod of its own proxy; the proxy's policy
    /// selects the live proxy pod, admits only the agent on 3128 and lets it out only to 80/443 outside private ranges.
    /// </summary>
    public override async Task AssertNetworkIsolationDeclaredAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        using var client = Server.CreateClient(Namespace);
        var agentPod = await client.CoreV1.ReadNamespacedPodAsync($"paude-{name.Value}-0", Namespace, cancellationToken: cancellationToken);
        var proxyPods = await client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: $"paude.io/session-name={name.Value},paude.io/role=proxy", cancellationToken: cancellationToken);
        var proxyPod = Assert.Single(proxyPods.Items, p => p.Metadata.DeletionTimestamp is null);
        var egress = await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync($"paude-{name.Value}", Namespace, cancellationToken: cancellationToken);
        var ingress = await client.NetworkingV1.ReadNamespacedNetworkPolicyAsync($"proxy-paude-{name.Value}", Namespace, cancellationToken: cancellationToken);

        Assert.Equal(["Egress", "Ingress"], egress.Spec.PolicyTypes.Order(StringComparer.Ordinal));
        Assert.True(egress.Spec.Ingress is null or { Count: 0 }, "nothing may connect to the agent");
        Assert.True(Selects(egress.Spec.PodSelector, agentPod), "the agent policy does not select the agent pod");
        Assert.False(Selects(egress.Spec.PodSelector, proxyPod), "the agent policy must not restrict the proxy");
        Assert.Equal(2, egress.Spec.Egress.Count);
        AssertClusterDns(egress.Spec.Egress[0]);
        var toProxy = egress.Spec.Egress[1];
        var peer = Assert.Single(toProxy.To);
        Assert.Null(peer.IpBlock);
        Assert.Null(peer.NamespaceSelector);
        Assert.True(Selects(peer.PodSelector, proxyPod), "the egress rule does not reach the session's proxy pod");
        Assert.False(Selects(peer.PodSelector, agentPod), "the proxy rule must not select the agent");
        Assert.Equal([$"TCP/{SquidConfig.Port}"], Ports(toProxy.Ports));
        Assert.DoesNotContain(egress.Spec.Egress.SelectMany(r => Ports(r.Ports)), p => p == "TCP/80");

        Assert.Equal(["Egress", "Ingress"], ingress.Spec.PolicyTypes.Order(StringComparer.Ordinal));
        Assert.True(Selects(ingress.Spec.PodSelector, proxyPod), "the proxy policy does not select the proxy pod");
        Assert.False(Selects(ingress.Spec.PodSelector, agentPod), "the proxy policy must not select the agent");
        var from = Assert.Single(Assert.Single(ingress.Spec.Ingress).FromProperty);
        Assert.Null(from.IpBlock);
        Assert.True(Selects(from.PodSelector, agentPod), "the proxy does not admit its agent");
        Assert.False(Selects(from.PodSelector, proxyPod), "the proxy admits more than its agent");
        Assert.Equal([$"TCP/{SquidConfig.Port}"], Ports(Assert.Single(ingress.Spec.Ingress).Ports));

        // The proxy goes out only to 80/443 outside the cluster: every private and link-local range excepted.
        Assert.Equal(2, ingress.Spec.Egress.Count);
        AssertClusterDns(ingress.Spec.Egress[0]);
        var outside = ingress.Spec.Egress[1];
        Assert.Equal(["TCP/443", "TCP/80"], Ports(outside.Ports));
        Assert.All(outside.To, p => Assert.True(p.PodSelector is null && p.NamespaceSelector is null && p.IpBlock is not null));
        var v4 = Assert.Single(outside.To, p => p.IpBlock.Cidr == "0.0.0.0/0").IpBlock;
        foreach (var range in new[] { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8", "100.64.0.0/10" })
        {
            Assert.Contains(range, v4.Except);
        }
    }

    /// <summary>DNS only to the cluster DNS pods (their namespaces by name), never to any pod or address on 53.</summary>
    private static void AssertClusterDns(V1NetworkPolicyEgressRule dns)
    {
        var peer = Assert.Single(dns.To);
        Assert.Null(peer.IpBlock);
        Assert.NotNull(peer.PodSelector);
        var namespaces = Assert.Single(peer.NamespaceSelector.MatchExpressions);
        Assert.Equal(("kubernetes.io/metadata.name", "In"), (namespaces.Key, namespaces.OperatorProperty));
        Assert.Equal(["kube-system", "openshift-dns"], namespaces.Values.Order(StringComparer.Ordinal));
        Assert.Equal(["TCP/53", "TCP/5353", "UDP/53", "UDP/5353"], Ports(dns.Ports));
    }

    protected override async Task CleanupAsync()
    {
        await Podman.RunAsync(["rm", "--force", "--time", "0", Outside]);
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    /// <summary>matchLabels only (the backend uses no matchExpressions; any would fail the check loudly).</summary>
    private static bool Selects(V1LabelSelector? selector, V1Pod pod)
    {
        Assert.NotNull(selector);
        Assert.True(selector.MatchExpressions is null or { Count: 0 }, "matchExpressions are not expected");
        Assert.NotNull(selector.MatchLabels);
        Assert.NotEmpty(selector.MatchLabels);
        var labels = pod.Metadata.Labels ?? new Dictionary<string, string>();
        return selector.MatchLabels.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }

    private static List<string> Ports(IList<V1NetworkPolicyPort>? ports)
    {
        Assert.NotNull(ports);
        Assert.NotEmpty(ports);
        return [.. ports.Select(p => $"{p.Protocol}/{p.Port.Value}").Order(StringComparer.Ordinal)];
    }
}

/// <summary>The shared backend conformance suite, run against the OpenShift backend on the Kubernetes test server.</summary>
public sealed class OpenShiftConformanceTests(OpenShiftConformanceFixture fixture)
    : BackendConformanceTests<OpenShiftConformanceFixture>(fixture);
