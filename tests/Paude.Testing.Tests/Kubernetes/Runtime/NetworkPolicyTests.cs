using System.Text;
using k8s;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// NetworkPolicies are enforced in the selected pod's network namespace and re-evaluated when the policy changes:
/// created by kubectl (deny but one peer), patched (allow the server), deleted (unrestricted again).
/// </summary>
public sealed class NetworkPolicyTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Policy = """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: NAME
        spec:
          podSelector:
            matchLabels:
              app: CLIENT
          policyTypes: [Egress]
          egress:
          - to:
            - podSelector:
                matchLabels:
                  app: nobody
            ports:
            - protocol: TCP
              port: 8080
        """;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<string> RunningPodAsync(string name, string[] command)
    {
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name, command: command), "paude");
        var pod = await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), p => p.Status?.Phase == "Running" && p.Status.PodIP is not null, "pod running with an IP");
        return pod.Status.PodIP;
    }

    private async Task<int> ConnectAsync(string from, string ip) =>
        (await fx.Kubectl.RunAsync(["-n", "paude", "exec", from, "--", "timeout", "3", "bash", "-c", $"exec 3<>/dev/tcp/{ip}/8080"])).ExitCode;

    [Fact]
    public async Task An_egress_policy_is_enforced_and_follows_its_changes()
    {
        var server = Unique("srv");
        var client = Unique("cli");
        var policy = Unique("np");
        var serverIp = await RunningPodAsync(server, ["busybox", "httpd", "-f", "-p", "8080", "-h", "/tmp"]);
        await RunningPodAsync(client, ["sleep", "infinity"]);
        await Wait.UntilAsync(() => ConnectAsync(client, serverIp), c => c == 0, "the server reachable without a policy");

        var yaml = Policy.Replace("NAME", policy, StringComparison.Ordinal).Replace("CLIENT", client, StringComparison.Ordinal);
        var (code, _, err) = await fx.Kubectl.RunAsync(["-n", "paude", "create", "--validate=false", "-f", "-"], Encoding.UTF8.GetBytes(yaml));
        Assert.True(code == 0, err);
        Assert.Equal("nobody", (await fx.Kubectl.OkAsync("-n", "paude", "get", "networkpolicy", policy, "-o", "jsonpath={.spec.egress[0].to[0].podSelector.matchLabels.app}")).Trim());
        await Wait.UntilAsync(() => ConnectAsync(client, serverIp), c => c != 0, "the server refused once the policy selects the client", TimeSpan.FromSeconds(30));

        // Patched to allow the server: the rules follow (re-evaluated on the policy's change).
        await fx.Kubectl.OkAsync("-n", "paude", "patch", "networkpolicy", policy, "--type=json", "-p", $"[{{\"op\":\"replace\",\"path\":\"/spec/egress/0/to/0/podSelector/matchLabels/app\",\"value\":\"{server}\"}}]");
        await Wait.UntilAsync(() => ConnectAsync(client, serverIp), c => c == 0, "the server allowed by the patched policy", TimeSpan.FromSeconds(30));

        await fx.Kubectl.OkAsync("-n", "paude", "delete", "networkpolicy", policy);
        await Wait.UntilAsync(() => ConnectAsync(client, serverIp), c => c == 0, "unrestricted once the policy is gone", TimeSpan.FromSeconds(30));
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(server, "paude");
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(client, "paude");
    }
}
