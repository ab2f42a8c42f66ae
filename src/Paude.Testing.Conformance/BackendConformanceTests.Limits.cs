using Paude.Sessions;

namespace Paude.Conformance;

/// <summary>
/// The limits in force are reported (<see cref="SessionInfo.Limits"/>): what a caller needs to change one part of them
/// (an upgrade's limits are a whole) without resetting the others.
/// </summary>
public abstract partial class BackendConformanceTests<TFixture>
{
    private const long MiB = 1024 * 1024;

    [SkippableFact]
    public async Task The_limits_in_force_are_reported_after_create_and_after_an_upgrade()
    {
        Fixture.Require(BackendCapabilities.LimitsReported);
        var name = Fixture.NewName("limits");
        var created = new SessionLimits { Cpus = 1, MemoryBytes = 512 * MiB, CpuRequest = 0.25, MemoryRequestBytes = 192 * MiB };
        var info = await Fixture.CreateAsync(Fixture.Spec(name) with { Limits = created });

        Assert.Equal(created, info.Limits);
        Assert.Equal(created, (await Backend.GetAsync(name))?.Limits);
        Assert.Equal(created, await ListedLimitsAsync(name));
        if ((Fixture.Capabilities & BackendCapabilities.Upgrade) == 0)
        {
            return;
        }

        // New limits are reported as a whole; a request left out is no longer the session's own.
        var upgraded = new SessionLimits { Cpus = 1.5, MemoryBytes = 768 * MiB, MemoryRequestBytes = 256 * MiB };
        Assert.Equal(upgraded, (await Backend.UpgradeAsync(name, new SessionUpgrade { Limits = upgraded })).Limits);
        Assert.Equal(upgraded, (await Backend.GetAsync(name))?.Limits);
        Assert.Equal(upgraded, await ListedLimitsAsync(name));

        // An upgrade that sets no limits keeps them.
        var kept = await Backend.UpgradeAsync(name, new SessionUpgrade { Environment = new Dictionary<string, string> { ["PAUDE_CT_LIMITS"] = "kept" } });
        Assert.Equal(upgraded, kept.Limits);
        Assert.Equal("kept\n", await Backend.CheckAsync(name, "bash", "-c", "echo \"$PAUDE_CT_LIMITS\""));
        Assert.Equal(upgraded, (await Backend.GetAsync(name))?.Limits);
    }

    private async Task<SessionLimits?> ListedLimitsAsync(SessionName name)
    {
        await foreach (var listed in Backend.ListAsync())
        {
            if (listed.Name == name)
            {
                return listed.Limits;
            }
        }

        throw new Xunit.Sdk.XunitException($"session '{name}' is not listed");
    }
}
