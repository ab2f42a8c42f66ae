using System.Diagnostics;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// NetworkPolicy enforcement: each running pod's network namespace gets the iptables rules of the policies selecting
// it (NetworkPolicyRules), re-applied whenever they change (policies, peers' IPs) or the container restarted.
internal sealed partial class PodRuntime
{
    private List<(JsonObject Pod, string Ip)> _podIps = [];
    private string? _gateway;

    /// <summary>Called once per pass, before the pods: the addresses peers resolve to in this pass.</summary>
    private void SnapshotPodIps(IEnumerable<JsonObject> pods) =>
        _podIps = [.. pods.Select(p => (Pod: p, Ip: _pods.TryGetValue(p.Uid(), out var s) ? s.PodIp : null)).Where(p => p.Ip is { Length: > 0 }).Select(p => (p.Pod, p.Ip!))];

    private async Task EnforcePoliciesAsync(JsonObject pod, PodState state, string podmanName, string startedKey, CancellationToken ct)
    {
        if (state.PodIp is null)
        {
            return;
        }

        _gateway ??= (await podman.CheckedAsync(["network", "inspect", resources.Network, "--format", "{{range .Subnets}}{{.Gateway}}{{end}}"], ct).ConfigureAwait(false)).Trim();
        var script = NetworkPolicyRules.Script(
            pod,
            store.List(ResourceTypes.NetworkPolicies, pod.Namespace()).Items,
            _podIps,
            store.List(ResourceTypes.Namespaces, null).Items,
            _gateway);

        // Never restricted and still not: nothing to do. Restricted before and no longer: flush to "allow all".
        if (script is null && state.PolicyRules is null)
        {
            return;
        }

        script ??= "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
        if (script == state.PolicyRules && startedKey == state.PolicyAppliedTo)
        {
            return;
        }

        var pid = (await podman.CheckedAsync(["inspect", "--type", "container", "--format", "{{.State.Pid}}", podmanName], ct).ConfigureAwait(false)).Trim();
        if (pid is "" or "0")
        {
            return;
        }

        // The host's iptables inside the pod's network namespace only (needs root, as rootful Podman does).
        var info = new ProcessStartInfo("nsenter", ["-t", pid, "-n", "iptables-restore"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("nsenter could not be started");
        await process.StandardInput.WriteAsync(script.AsMemory(), ct).ConfigureAwait(false);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            // Not recorded as applied: the next pass tries again (the pod meanwhile keeps its previous rules).
            throw new InvalidOperationException($"iptables-restore in pod {pod.Name()} failed: {await stderr.ConfigureAwait(false)}");
        }

        state.PolicyRules = script;
        state.PolicyAppliedTo = startedKey;
    }
}
