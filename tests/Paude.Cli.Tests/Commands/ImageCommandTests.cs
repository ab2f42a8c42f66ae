using Paude.Cli.Hosting;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude image build</c> against the test server's OpenShift build API, and <c>paude create --image</c> on its
/// result: the session runs the image the cluster built.
/// </summary>
[Collection("openshift")]
public sealed class ImageCommandTests(KubeServerFixture cluster) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("img");
    private readonly string _context = Directory.CreateTempSubdirectory("paude-cli-img-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        Directory.Delete(_context, recursive: true);
    }

    [Fact]
    public async Task Image_build_streams_the_log_and_create_with_its_image_runs_it()
    {
        var marker = Guid.NewGuid().ToString("N");
        var agentImage = Environment.GetEnvironmentVariable("PAUDE_TEST_AGENT_IMAGE") is { Length: > 0 } i ? i : "localhost/paude-agent:latest";
        await File.WriteAllTextAsync(Path.Combine(_context, "Agent.Containerfile"), $"FROM {agentImage}\nCOPY marker /opt/paude-marker\nRUN echo cli-build-step\n");
        await File.WriteAllTextAsync(Path.Combine(_context, "marker"), marker + "\n");
        var stream = $"cli-{_name}";

        var built = await cluster.PaudeAsync("image", "build", _context, "--name", stream, "--tag", "v2", "-f", "Agent.Containerfile", "-o", "json");
        Assert.True(built.ExitCode == 0, built.ToString());
        Assert.Contains("cli-build-step", built.Stderr, StringComparison.Ordinal); // the log streamed to stderr
        var json = built.Json();
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{KubeServerFixture.Namespace}/{stream}:v2", json.GetProperty("image").GetString());
        Assert.Equal($"{stream}-1", json.GetProperty("build").GetString());
        var digestImage = json.GetProperty("digestImage").GetString()!;
        Assert.Contains("@sha256:", digestImage, StringComparison.Ordinal);
        Assert.Equal("Complete", (await cluster.KubectlAsync("get", "build", $"{stream}-1", "-o", "jsonpath={.status.phase}")).Trim());

        var created = await cluster.PaudeAsync("create", _name, "--image", json.GetProperty("image").GetString()!, "--agent-command", SharedSessionFixture.StandInAgent, "-o", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var cat = await cluster.PaudeAsync("exec", _name, "--", "cat", "/opt/paude-marker");
        Assert.Equal((0, marker + "\n"), (cat.ExitCode, cat.Stdout));
        Assert.Equal(json.GetProperty("image").GetString(), (await cluster.KubectlAsync("get", "pod", $"paude-{_name}-0", "-o", "jsonpath={.spec.containers[0].image}")).Trim());
    }

    [Fact]
    public async Task A_failing_build_exits_1_with_its_reason_and_a_bad_request_lists_every_problem()
    {
        await File.WriteAllTextAsync(Path.Combine(_context, "Containerfile"), "FROM localhost/paude-agent:latest\nRUN echo cli-fails-here && exit 9\n");
        var failed = await cluster.PaudeAsync("image", "build", _context, "--name", $"cli-f-{_name}", "-o", "json");
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("DockerBuildFailed", failed.Stderr, StringComparison.Ordinal);
        Assert.Contains("cli-fails-here", failed.Stderr, StringComparison.Ordinal);

        var bad = await cluster.PaudeAsync("image", "build", Path.Combine(_context, "missing"), "--name", "Bad_Name", "--tag", "-x");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("ImageStream:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("Tag:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("ContextDirectory:", bad.Stderr, StringComparison.Ordinal);

        var podman = await PaudeCli.RunAsync(["--backend", "podman", "image", "build", _context]);
        Assert.Equal(2, podman.ExitCode);
        Assert.Contains("OpenShift", podman.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void PAUDE_IMAGE_PULL_SECRETS_become_the_pods_pull_secrets_and_bad_names_are_listed()
    {
        var selection = BackendSelection.Resolve("openshift", null, null, "team", _ => null);
        var options = new Paude.Backends.OpenShift.OpenShiftBackendOptions();
        CliServices.ApplyCluster(options, selection, v => v == "PAUDE_IMAGE_PULL_SECRETS" ? " regcred , other,Bad_One" : null);
        Assert.Equal(["regcred", "other", "Bad_One"], options.ImagePullSecrets);
        Assert.Equal(["ImagePullSecrets: 'Bad_One' is not a Secret name (DNS-1123 label)"], options.GetErrors().Where(e => e.StartsWith("ImagePullSecrets", StringComparison.Ordinal)));
    }
}
