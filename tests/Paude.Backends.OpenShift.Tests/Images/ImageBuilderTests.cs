using System.Diagnostics;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Images;

/// <summary>
/// <see cref="OpenShiftImageBuilder"/> against the test server's build API: a binary Docker build into an ImageStream
/// tag, a session created on the tag's registry reference, failures typed with the log's end, bad requests refused
/// with every problem listed.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class ImageBuilderTests(KubeServerFixture fixture, ITestOutputHelper output)
{
    private OpenShiftImageBuilder NewBuilder() => OpenShiftImageBuilder.Create(new OpenShiftBackendOptions
    {
        KubeconfigPath = fixture.Server.KubeconfigPath,
        Namespace = KubeServerFixture.Namespace,
    });

    /// <summary>A context on top of the agent image (local store only: the test server builds without network).</summary>
    private static string Context(string marker, string extraStep = "")
    {
        var dir = Directory.CreateTempSubdirectory("paude-ib-").FullName;
        File.WriteAllText(Path.Combine(dir, "Containerfile"), $"FROM {KubeServerFixture.AgentImage}\nCOPY marker /opt/paude-marker\n{extraStep}");
        File.WriteAllText(Path.Combine(dir, "marker"), marker + "\n");
        return dir;
    }

    private string Stream(string purpose) => $"{fixture.RunId}-{purpose}";

    [Fact]
    public async Task Build_streams_its_log_and_a_session_runs_on_the_image_stream_tag()
    {
        var marker = Guid.NewGuid().ToString("N");
        var context = Context(marker, "RUN echo build-log-line-$((6*7))\n");
        var lines = new List<string>();
        using var builder = NewBuilder();
        ImageBuildResult result;
        try
        {
            result = await builder.BuildAsync(new ImageBuildRequest(Stream("img"), context) { Tag = "t1" }, new SyncProgress(lines));
        }
        finally
        {
            Directory.Delete(context, true);
        }

        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{KubeServerFixture.Namespace}/{Stream("img")}:t1", result.ImageReference);
        Assert.StartsWith($"image-registry.openshift-image-registry.svc:5000/{KubeServerFixture.Namespace}/{Stream("img")}@sha256:", result.DigestReference, StringComparison.Ordinal);
        Assert.Equal($"{Stream("img")}-1", result.BuildName);
        Assert.Contains("build-log-line-42", lines);
        Assert.Contains("Push successful", lines);
        output.WriteLine($"binary build through the API: {result.Duration.TotalSeconds:F2} s");

        // kubectl sees the objects the builder made, and their links.
        var table = await fixture.KubectlAsync("get", "bc,builds,is", "-o", "name");
        Assert.Contains($"buildconfig.build.openshift.io/{Stream("img")}", table, StringComparison.Ordinal);
        Assert.Contains($"build.build.openshift.io/{Stream("img")}-1", table, StringComparison.Ordinal);
        Assert.Contains($"imagestream.image.openshift.io/{Stream("img")}", table, StringComparison.Ordinal);
        Assert.Equal("Binary Docker ImageStreamTag", (await fixture.KubectlAsync("get", "bc", Stream("img"), "-o", "jsonpath={.spec.source.type} {.spec.strategy.type} {.spec.output.to.kind}")).Trim());

        // A session on the digest reference runs the built image.
        var name = fixture.NewName("img");
        try
        {
            await fixture.Backend.CreateAsync(fixture.Spec(name) with { AgentImage = result.DigestReference });
            await using var process = await fixture.Backend.StartProcessAsync(name, new ProcessSpec(["cat", "/opt/paude-marker"]));
            var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
            Assert.Equal(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal(marker + "\n", await stdout);
            Assert.Equal(result.DigestReference, (await fixture.Backend.GetAsync(name))!.AgentImage);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Binary_build_time_is_measured_against_podman_build_of_the_same_context()
    {
        // Same Containerfile, different marker: neither build finds the other's layers in the cache.
        var context = Context(Guid.NewGuid().ToString("N"), "RUN echo measured > /tmp/measured\n");
        var other = Context(Guid.NewGuid().ToString("N"), "RUN echo measured > /tmp/measured\n");
        var tag = $"localhost/paude-ib-{fixture.RunId}:direct";
        try
        {
            using var builder = NewBuilder();
            var api = await builder.BuildAsync(new ImageBuildRequest(Stream("bench"), context));

            var watch = Stopwatch.StartNew();
            var direct = await Podman.RunAsync(["build", "--pull=never", "--network=none", "--label", $"paude.test={fixture.RunId}", "--tag", tag, other], null, timeout: TimeSpan.FromMinutes(5));
            var podman = watch.Elapsed;
            Assert.True(direct.ExitCode == 0, direct.StandardError);
            output.WriteLine($"binary build via API {api.Duration.TotalSeconds:F2} s, podman build {podman.TotalSeconds:F2} s, ratio {api.Duration / podman:F2}");
            Assert.True(api.Duration < TimeSpan.FromMinutes(2), $"binary build took {api.Duration}");
        }
        finally
        {
            Directory.Delete(context, true);
            Directory.Delete(other, true);
            await Podman.RunAsync(["rmi", "--force", tag], null, timeout: TimeSpan.FromMinutes(1));
        }
    }

    [Fact]
    public async Task A_failing_build_throws_typed_with_reason_and_the_end_of_its_log()
    {
        var context = Context("x", "RUN echo the-step-that-fails >&2 && exit 3\n");
        using var builder = NewBuilder();
        try
        {
            var e = await Assert.ThrowsAsync<ImageBuildFailedException>(() => builder.BuildAsync(new ImageBuildRequest(Stream("fail"), context)));
            Assert.Equal("Failed", e.Phase);
            Assert.Equal("DockerBuildFailed", e.Reason);
            Assert.Equal($"{Stream("fail")}-1", e.BuildName);
            Assert.Contains(e.LogTail, l => l.Contains("the-step-that-fails", StringComparison.Ordinal));
            Assert.Contains("the-step-that-fails", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(context, true);
        }
    }

    [Fact]
    public async Task An_invalid_request_lists_every_problem_and_creates_nothing()
    {
        var empty = Directory.CreateTempSubdirectory("paude-ib-").FullName;
        using var builder = NewBuilder();
        try
        {
            var e = await Assert.ThrowsAsync<InvalidOptionsException>(() => builder.BuildAsync(
                new ImageBuildRequest("Bad_Name", empty) { Tag = "-bad", ContainerfilePath = "../Containerfile", Timeout = TimeSpan.Zero }));
            Assert.Equal(4, e.Errors.Count);
            Assert.Contains(e.Errors, m => m.StartsWith("ImageStream:", StringComparison.Ordinal));
            Assert.Contains(e.Errors, m => m.StartsWith("Tag:", StringComparison.Ordinal));
            Assert.Contains(e.Errors, m => m.StartsWith("ContainerfilePath:", StringComparison.Ordinal));
            Assert.Contains(e.Errors, m => m.StartsWith("Timeout:", StringComparison.Ordinal));
            Assert.DoesNotContain("Bad_Name", await fixture.KubectlAsync("get", "bc,is", "-o", "name"), StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            Directory.Delete(empty, true);
        }
    }

    /// <summary>Collects lines on the reporting thread (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class SyncProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}
