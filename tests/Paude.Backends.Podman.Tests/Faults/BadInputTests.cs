using System.Diagnostics;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Faults;

/// <summary>Bad input is refused with a typed error before anything is created.</summary>
public sealed class BadInputTests(PodmanFaultFixture fx) : IClassFixture<PodmanFaultFixture>
{
    public static TheoryData<string, string> BadNames => new()
    {
        { "", "empty" },
        { "{run}-UPPER", "'U'" },
        { "{run}-" + new string('x', 40), "characters long" },
        { "..", "'.'" },
        { "{run}/../x", "'/'" },
        { "{run} space", "' '" },
        { "-{run}", "starts or ends" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task Invalid_session_name_is_refused_before_anything_is_created(string template, string problem)
    {
        var raw = template.Replace("{run}", fx.RunId, StringComparison.Ordinal);

        // A SessionSpec only takes a parsed SessionName, so the name is refused before a backend call can start.
        var ex = Assert.Throws<InvalidSessionNameException>(() => PodmanFaultFixture.Spec(SessionName.Parse(raw)));

        Assert.Equal(raw, ex.Name);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("lowercase letters", ex.Message, StringComparison.Ordinal);
        Assert.False(SessionName.TryParse(raw, out _));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(fx.RunId));
    }

    [Fact]
    public async Task Missing_workspace_folder_is_refused_with_every_problem_and_nothing_created()
    {
        var name = fx.NewName("nows");
        var missing = Path.Combine(Path.GetTempPath(), $"paude-missing-{fx.RunId}");
        var spec = PodmanFaultFixture.Spec(name) with { Workspace = missing, AgentCommand = [] };

        var ex = await Assert.ThrowsAsync<InvalidSessionSpecException>(() => fx.Backend.CreateAsync(spec));

        Assert.Contains(ex.Errors, e => e.Contains(missing, StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("AgentCommand", StringComparison.Ordinal));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Image_that_does_not_exist_fails_fast_names_the_image_and_leaves_nothing(bool agent)
    {
        var name = fx.NewName(agent ? "noagent" : "noproxy");
        var image = $"localhost/paude-missing-{fx.RunId}:nope";
        var spec = agent ? PodmanFaultFixture.Spec(name) with { AgentImage = image } : PodmanFaultFixture.Spec(name) with { ProxyImage = image };

        var watch = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<ImageNotFoundException>(() => fx.Backend.CreateAsync(spec));
        watch.Stop();

        Assert.Equal(image, ex.Image);
        Assert.Contains(image, ex.Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
        Assert.Null(await fx.Backend.GetAsync(name));
    }

    [Fact]
    public async Task Deleting_a_missing_session_returns_false_without_error()
    {
        Assert.False(await fx.Backend.DeleteAsync(fx.NewName("never")));
    }
}
