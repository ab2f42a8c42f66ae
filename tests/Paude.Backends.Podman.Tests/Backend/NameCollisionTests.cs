using Paude.Execution;
using Paude.Sessions;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Backend;

/// <summary>
/// Hostile session names: under the old naming scheme each pair shared a resource name (session s's proxy
/// <c>paude-proxy-s</c> was session proxy-s's agent, s's network <c>paude-net-s</c> was net-s's agent, s's workspace
/// volume <c>paude-s-workspace</c> was s-workspace's agent name), so the second create failed or one delete removed
/// the other session's container. Both sessions of a pair must live side by side and die alone.
/// </summary>
public sealed class NameCollisionTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    public static TheoryData<string, string> Pairs => new()
    {
        { "{0}p", "proxy-{0}p" },
        { "{0}n", "net-{0}n" },
        { "{0}w", "{0}w-workspace" },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Sessions_whose_names_collided_under_the_old_scheme_live_and_die_independently(string first, string second)
    {
        var a = SessionName.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, first, fixture.RunId));
        var b = SessionName.Parse(string.Format(System.Globalization.CultureInfo.InvariantCulture, second, fixture.RunId));
        await fixture.Backend.CreateAsync(fixture.Spec(a));
        try
        {
            var created = await fixture.Backend.CreateAsync(fixture.Spec(b));
            Assert.Equal(SessionStatus.Running, created.Status);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(a))!.Status);

            // Stopping and deleting one must not touch the other's containers, network or volumes.
            await fixture.Backend.StopAsync(a);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(b))!.Status);
            var bBefore = await Podman.ResourcesLabelledAsync($"paude.io/session-name={b.Value}");
            Assert.True(await fixture.Backend.DeleteAsync(a));
            Assert.Null(await fixture.Backend.GetAsync(a));
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.GetAsync(b))!.Status);
            Assert.Equal(bBefore, await Podman.ResourcesLabelledAsync($"paude.io/session-name={b.Value}"));
            Assert.Equal("ok", (await fixture.Backend.ExecAsync(b, ["echo", "ok"])).StandardOutput.Trim());
        }
        finally
        {
            await fixture.Backend.DeleteAsync(a);
            await fixture.Backend.DeleteAsync(b);
        }
    }
}
