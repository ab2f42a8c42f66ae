using Paude.Execution;
using Paude.Sessions;
using Paude.Backends.OpenShift.Tests.Infrastructure;

namespace Paude.Backends.OpenShift.Tests.Sandbox;

/// <summary>
/// The hostile agent inside a session on the test server (pods are real Podman containers): it has no way to gain
/// privileges, and the session's <see cref="SessionLimits"/> are stored as the agent container's limits and enforced.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class ContainmentTests(KubeServerFixture fixture)
{
    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(SessionName name, string script)
    {
        await using var process = await fixture.Backend.StartProcessAsync(name, new ProcessSpec(["sh", "-c", script]));
        var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
        var stderr = new StreamReader(process.StandardError).ReadToEndAsync();
        var exit = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (exit, await stdout, await stderr);
    }

    [Fact]
    public async Task The_agent_cannot_gain_privileges_and_runs_within_the_sessions_limits()
    {
        var name = fixture.NewName("contain");
        try
        {
            var limits = new SessionLimits { MemoryBytes = 256L * 1024 * 1024, Cpus = 0.5 };
            await fixture.Backend.CreateAsync(fixture.Spec(name) with { Limits = limits });

            // kubectl reads what the API stores: the limits are the session's, each request at most its limit.
            var stored = await fixture.KubectlAsync("get", "statefulset", $"paude-{name}", "-o", "jsonpath={.spec.template.spec.containers[0].resources.limits.memory} {.spec.template.spec.containers[0].resources.limits.cpu} {.spec.template.spec.containers[0].resources.requests.memory} {.spec.template.spec.containers[0].resources.requests.cpu}");
            Assert.Equal("268435456 500m 268435456 500m", stored);
            var pod = await fixture.KubectlAsync("get", "pod", $"paude-{name}-0", "-o", "jsonpath={.spec.automountServiceAccountToken} {.spec.enableServiceLinks} {.spec.containers[0].securityContext.allowPrivilegeEscalation} {.spec.containers[0].securityContext.capabilities.drop[0]}");
            Assert.Equal("false false false ALL", pod);

            var (exit, status, err) = await RunAsync(name, "grep -E '^(NoNewPrivs|CapEff|CapBnd):' /proc/self/status; cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us; ls /var/run/secrets/kubernetes.io 2>&1");
            Assert.True(exit != 0 || err.Length == 0, err);
            Assert.Contains("NoNewPrivs:\t1", status, StringComparison.Ordinal);
            Assert.Contains("CapEff:\t0000000000000000", status, StringComparison.Ordinal);
            Assert.Contains("CapBnd:\t0000000000000000", status, StringComparison.Ordinal);
            Assert.Contains("\n268435456\n50000\n", status, StringComparison.Ordinal);
            Assert.Contains("No such file or directory", status, StringComparison.Ordinal);

            // A memory bomb is killed by the limit, not the host; the session keeps answering.
            var bomb = await RunAsync(name, "head -c 1073741824 /dev/zero | tail > /dev/null");
            Assert.Equal(137, bomb.Exit);
            Assert.Equal(0, (await RunAsync(name, "true")).Exit);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }
}
