using Paude.Execution;
using Paude.Sessions;
using Xunit;

namespace Paude.TestSupport;

/// <summary>
/// The steps both backends' upgrade tests share: the work an upgrade must keep (<see cref="UpgradeImage.SeedWorkScript"/>)
/// put into a session and read back, and an upgrade stopped at a named step as a kill would stop it (through the
/// backend's own fault point, which only its test project sees and passes in).
/// </summary>
public static class UpgradeWork
{
    /// <summary>Seeds the work into <paramref name="name"/> and checks that it reads back as expected.</summary>
    public static async Task SeedAsync(ISessionBackend backend, SessionName name)
    {
        var seeded = await backend.ExecAsync(name, ["bash", "-c", UpgradeImage.SeedWorkScript]);
        Assert.True(seeded.Succeeded, seeded.StandardError);
        await AssertKeptAsync(backend, name);
    }

    /// <summary>The work <see cref="SeedAsync"/> put in is all there: the commit, the edit, the staged file, the agent's state.</summary>
    public static async Task AssertKeptAsync(ISessionBackend backend, SessionName name)
    {
        var work = await backend.ExecAsync(name, ["bash", "-c", UpgradeImage.ReadWorkScript]);
        Assert.Equal(UpgradeImage.ExpectedWork, work.StandardOutput);
    }

    /// <summary>Runs <paramref name="upgrade"/> with <paramref name="faultPoint"/> throwing at <paramref name="step"/>, and checks that it stopped there.</summary>
    public static async Task ThrowsAtAsync(AsyncLocal<Action<string>?> faultPoint, string step, Func<Task> upgrade)
    {
        ArgumentNullException.ThrowIfNull(faultPoint);
        faultPoint.Value = s =>
        {
            if (s == step)
            {
                throw new SimulatedKillException(step);
            }
        };
        try
        {
            var thrown = await Assert.ThrowsAsync<SimulatedKillException>(upgrade);
            Assert.Equal(step, thrown.Message);
        }
        finally
        {
            faultPoint.Value = null;
        }
    }

    /// <summary>What the fault point throws: the upgrade ends there with nothing undone, as after a kill.</summary>
    public sealed class SimulatedKillException(string step) : Exception(step);
}
