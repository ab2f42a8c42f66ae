using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>
/// Hostile session names. Under the old naming scheme session s's proxy container <c>paude-proxy-s</c> was session
/// proxy-s's agent container, so creating proxy-s next to s failed (measured: SessionAlreadyExistsException) and a
/// delete by name could remove the other session's container. The net-s and s-workspace pairs only shared a name
/// across podman's separate namespaces (network or volume vs container); they stay as guards for the scheme.
/// Both sessions of a pair must live side by side and die alone.
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
