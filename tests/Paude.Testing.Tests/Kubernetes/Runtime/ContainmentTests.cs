using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// A hostile process in a pod: the securityContext and resources.limits of the pod are what Podman enforces, so it
/// cannot gain privileges, and a fork or memory bomb stays inside the pod (node pids limit, memory limit).
/// </summary>
public sealed class ContainmentTests(ContainmentServerFixture fx) : IClassFixture<ContainmentServerFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private async Task<string> RunningPodAsync(V1ResourceRequirements? resources = null)
    {
        var name = Unique("cn");
        var pod = Manifests.Pod(name);
        pod.Spec.Containers[0].SecurityContext = new V1SecurityContext
        {
            AllowPrivilegeEscalation = false,
            Capabilities = new V1Capabilities { Drop = ["ALL"] },
            RunAsNonRoot = true,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        };
        pod.Spec.Containers[0].Resources = resources;
        await fx.Client.CoreV1.CreateNamespacedPodAsync(pod, "paude");
        await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, "paude"), p => p.Status?.Phase == "Running", "pod running");
        return name;
    }

    private Task<(int ExitCode, string StdOut, string StdErr)> ExecAsync(string pod, string script) =>
        fx.Kubectl.RunAsync(["-n", "paude", "exec", pod, "--", "sh", "-c", script], timeout: TimeSpan.FromMinutes(2));

    [Fact]
    public async Task A_pod_without_privilege_escalation_and_capabilities_has_no_new_privs_and_no_effective_capabilities()
    {
        var pod = await RunningPodAsync();
        var (code, status, err) = await ExecAsync(pod, "grep -E '^(NoNewPrivs|CapEff|CapPrm|CapBnd):' /proc/self/status; id -u");
        Assert.True(code == 0, err);
        Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
        Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("CapPrm:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.DoesNotContain("\n0\n", "\n" + status, StringComparison.Ordinal);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(pod, "paude");
    }

    [Fact]
    public async Task Memory_and_cpu_limits_are_the_containers_cgroup_limits_and_a_memory_bomb_is_killed()
    {
        var pod = await RunningPodAsync(new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("96Mi"), ["cpu"] = new("500m") },
            Requests = new Dictionary<string, ResourceQuantity> { ["memory"] = new("32Mi"), ["cpu"] = new("100m") },
        });
        var (code, cgroups, err) = await ExecAsync(pod, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us");
        Assert.True(code == 0, err);
        Assert.Equal(["100663296", "50000", "100000"], cgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // tail holds a file without newlines whole: 512 MiB cannot fit into 96 MiB, the kernel kills it (137).
        var (bomb, _, _) = await ExecAsync(pod, "head -c 536870912 /dev/zero | tail > /dev/null");
        Assert.Equal(137, bomb);
        var (alive, _, _) = await ExecAsync(pod, "true");
        Assert.Equal(0, alive);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(pod, "paude");
    }

    [Fact]
    public async Task A_fork_bomb_stops_at_the_node_pids_limit_and_the_pod_recovers()
    {
        var pod = await RunningPodAsync();
        var (code, limit, err) = await ExecAsync(pod, "cat /sys/fs/cgroup/pids/pids.max");
        Assert.True(code == 0, err);
        Assert.Equal(ContainmentServerFixture.Pids.ToString(System.Globalization.CultureInfo.InvariantCulture), limit.Trim());

        // Bounded bomb: 3x the limit of sleeping children. The shell dies with "Cannot fork" once the cgroup is full.
        var (_, _, bombErr) = await ExecAsync(pod, $"i=0; while [ $i -lt {3 * ContainmentServerFixture.Pids} ]; do sleep 15 & i=$((i+1)); done; echo all-forked");
        Assert.Contains("fork", bombErr, StringComparison.OrdinalIgnoreCase);

        // The cgroup is full of the bomb's children (one process can still be exec'd once the shell is gone).
        var full = await Wait.UntilAsync(
            () => fx.Kubectl.RunAsync(["-n", "paude", "exec", pod, "--", "cat", "/sys/fs/cgroup/pids/pids.current"]),
            r => r.ExitCode == 0,
            "reading pids.current",
            TimeSpan.FromSeconds(10));
        Assert.InRange(int.Parse(full.StdOut.Trim(), System.Globalization.CultureInfo.InvariantCulture), ContainmentServerFixture.Pids - 8, ContainmentServerFixture.Pids);
        await Wait.UntilAsync(async () => (await ExecAsync(pod, "true")).ExitCode, c => c == 0, "the pod answers again once the bomb's children are gone");
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(pod, "paude");
    }
}
