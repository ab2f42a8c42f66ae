using Paude.Conformance;

namespace Paude.Tests.Conformance;

/// <summary>
/// The conformance world with images built from this repository's Containerfiles under run-unique tags, so the
/// hostile suite tests the images of this commit, not whatever <c>:latest</c> the machine holds (which other work
/// on the machine shares). The tags are removed at the end.
/// </summary>
public sealed class PodmanSandboxFixture : PodmanConformanceFixture
{
    public override async Task InitializeAsync()
    {
        var agent = $"localhost/paude-agent:sandbox-{RunId}";
        var proxy = $"localhost/paude-proxy:sandbox-{RunId}";
        var root = Paude.TestSupport.RepositoryRoot.Path;
        foreach (var (tag, dir) in new[] { (agent, "agent"), (proxy, "proxy") })
        {
            await Podman.CheckAsync("build", "-q", "--pull=never", "--build-arg", "BASE_IMAGE=localhost/paude-base:ci", "-t", tag, Path.Combine(root, "images", dir));
        }

        Images = (agent, proxy);
        await base.InitializeAsync();
    }

    protected override async Task CleanupAsync()
    {
        await CleanupPodmanAsync();
        if (Images is { } images)
        {
            await Podman.RunAsync("rmi", images.Agent, images.Proxy);
        }
    }
}

/// <summary>The hostile-agent suite, run against real Podman with this commit's images.</summary>
public sealed class PodmanSandboxTests(PodmanSandboxFixture fixture)
    : SandboxConformanceTests<PodmanSandboxFixture>(fixture);
