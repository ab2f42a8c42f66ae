using System.Text.Json;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>
/// What the engine really applies to a session's containers: the agent's <see cref="SessionLimits"/>, the proxy's
/// fixed limits, no capabilities, no-new-privileges, the proxy config mounted read-only — and that a re-created
/// agent gets the same limits (they are stored in the workspace volume's labels).
/// </summary>
public sealed class LimitsAndHardeningTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task Limits_and_hardening_are_applied_and_survive_agent_recreation()
    {
        var name = fixture.NewName("limits");
        var limits = new SessionLimits { MemoryBytes = 256L * 1024 * 1024, Cpus = 0.5, Pids = 100 };
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { Limits = limits });
        try
        {
            AssertAgent(await Podman.InspectAsync($"paude-{name}"), limits);
            var proxy = await Podman.InspectAsync($"paude-{name}.proxy");
            var host = proxy.GetProperty("HostConfig");
            Assert.Equal(256, host.GetProperty("PidsLimit").GetInt64());
            Assert.Equal(268435456, host.GetProperty("Memory").GetInt64());
            AssertHardened(host);
            var config = proxy.GetProperty("Mounts").EnumerateArray().Single(m => m.GetProperty("Destination").GetString() == "/etc/paude-proxy");
            Assert.False(config.GetProperty("RW").GetBoolean());

            // The agent container is removed behind our back; start re-creates it from the labels, limits included.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}");
            await fixture.Backend.StartAsync(name);
            AssertAgent(await Podman.InspectAsync($"paude-{name}"), limits);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    private static void AssertAgent(JsonElement agent, SessionLimits limits)
    {
        var host = agent.GetProperty("HostConfig");
        Assert.Equal(limits.Pids, host.GetProperty("PidsLimit").GetInt64());
        Assert.Equal(limits.MemoryBytes, host.GetProperty("Memory").GetInt64());
        Assert.Equal(500_000_000, host.GetProperty("NanoCpus").GetInt64());
        AssertHardened(host);
    }

    private static void AssertHardened(JsonElement host)
    {
        Assert.Contains("no-new-privileges", host.GetProperty("SecurityOpt").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("CAP_SYS_CHROOT", host.GetProperty("CapDrop").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("CAP_DAC_OVERRIDE", host.GetProperty("CapDrop").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(host.GetProperty("CapAdd").EnumerateArray());
    }
}
