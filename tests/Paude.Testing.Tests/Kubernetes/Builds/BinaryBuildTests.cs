using System.Formats.Tar;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Builds;

/// <summary>
/// OpenShift's binary build API on the test server (BuildConfig, Build, ImageStream, <c>instantiatebinary</c>, build
/// logs), driven and cross-checked with the real kubectl; the built image runs in a pod that names the internal
/// registry reference, as sessions do.
/// </summary>
public sealed class BinaryBuildTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Ns = "paude";
    private const string Registry = "image-registry.openshift-image-registry.svc:5000";

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>ImageStream + BuildConfig (binary, Docker) applied with kubectl, as a person would with <c>oc new-build --binary</c>.</summary>
    private async Task ApplyBuildObjectsAsync(string name)
    {
        var yaml = $"""
            apiVersion: image.openshift.io/v1
            kind: ImageStream
            metadata:
              name: {name}
            ---
            apiVersion: build.openshift.io/v1
            kind: BuildConfig
            metadata:
              name: {name}
            spec:
              source:
                type: Binary
                binary: {"{}"}
              strategy:
                type: Docker
                dockerStrategy:
                  dockerfilePath: Containerfile
              output:
                to:
                  kind: ImageStreamTag
                  name: {name}:v1
            """;
        var (code, stdout, stderr) = await fx.Kubectl.RunAsync(["-n", Ns, "create", "--validate=false", "-f", "-"], Kubectl.Utf8(yaml));
        Assert.True(code == 0, stderr + stdout);
    }

    /// <summary>A tar of a context directory holding <paramref name="files"/>.</summary>
    private static string ContextTar(params (string Name, string Content)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("kt-build-").FullName;
        var context = Path.Combine(dir, "context");
        Directory.CreateDirectory(context);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(Path.Combine(context, name), content);
        }

        var tar = Path.Combine(dir, "context.tar");
        TarFile.CreateFromDirectory(context, tar, includeBaseDirectory: false);
        return tar;
    }

    private async Task<JsonNode> UploadAsync(string name, string tar)
    {
        var created = await fx.Kubectl.OkAsync("create", "--raw", $"/apis/build.openshift.io/v1/namespaces/{Ns}/buildconfigs/{name}/instantiatebinary", "-f", tar);
        return JsonNode.Parse(created)!;
    }

    private async Task<JsonNode> FinishedBuildAsync(string build) =>
        await Wait.UntilAsync(
            async () => JsonNode.Parse(await fx.Kubectl.OkAsync("-n", Ns, "get", "build", build, "-o", "json"))!,
            b => (string?)b["status"]?["phase"] is "Complete" or "Failed",
            $"build {build} finished",
            TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Binary_build_pushes_to_the_image_stream_and_a_pod_runs_the_registry_reference()
    {
        var name = Unique("bb");
        await ApplyBuildObjectsAsync(name);
        var marker = Guid.NewGuid().ToString("N");
        var tar = ContextTar(
            ("Containerfile", "FROM localhost/paude-agent:latest\nCOPY marker /opt/marker\nRUN cat /opt/marker > /tmp/copied && echo built-step-ran\n"),
            ("marker", marker + "\n"));

        var build = await UploadAsync(name, tar);
        Assert.Equal("Build", (string?)build["kind"]);
        Assert.Equal($"{name}-1", (string?)build["metadata"]!["name"]);
        var done = await FinishedBuildAsync($"{name}-1");
        Assert.Equal("Complete", (string?)done["status"]!["phase"]);
        Assert.Equal($"{Registry}/{Ns}/{name}:v1", (string?)done["status"]!["outputDockerImageReference"]);
        var digest = (string?)done["status"]!["output"]!["to"]!["imageDigest"];
        Assert.StartsWith("sha256:", digest, StringComparison.Ordinal);

        // The log, as `oc logs build/…` reads it; the builder's own output is in it.
        var log = await fx.Kubectl.OkAsync("get", "--raw", $"/apis/build.openshift.io/v1/namespaces/{Ns}/builds/{name}-1/log");
        Assert.Contains("built-step-ran", log, StringComparison.Ordinal);
        Assert.Contains("Push successful", log, StringComparison.Ordinal);

        // kubectl lists all three kinds by their short names; the stream's tag points at the build's digest.
        var table = await fx.Kubectl.OkAsync("-n", Ns, "get", "bc,builds,is");
        Assert.Contains($"buildconfig.build.openshift.io/{name}", table, StringComparison.Ordinal);
        Assert.Contains($"build.build.openshift.io/{name}-1", table, StringComparison.Ordinal);
        Assert.Contains($"imagestream.image.openshift.io/{name}", table, StringComparison.Ordinal);
        var stream = JsonNode.Parse(await fx.Kubectl.OkAsync("-n", Ns, "get", "is", name, "-o", "json"))!;
        Assert.Equal($"{Registry}/{Ns}/{name}", (string?)stream["status"]!["dockerImageRepository"]);
        var tag = stream["status"]!["tags"]!.AsArray().Single()!;
        Assert.Equal("v1", (string?)tag["tag"]);
        Assert.Equal(digest, (string?)tag["items"]![0]!["image"]);
        var bc = JsonNode.Parse(await fx.Kubectl.OkAsync("-n", Ns, "get", "bc", name, "-o", "json"))!;
        Assert.Equal(1, (int?)bc["status"]!["lastVersion"]);

        // A pod naming the tag, and one naming the digest, run the built image.
        foreach (var (pod, image) in new[] { (Unique("bt"), $"{Registry}/{Ns}/{name}:v1"), (Unique("bd"), $"{Registry}/{Ns}/{name}@{digest}") })
        {
            await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(pod, image), Ns);
            await Wait.UntilAsync(async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, Ns), p => p.Status?.Phase == "Running", $"pod {pod} running");
            Assert.Equal(marker + "\n", await fx.Kubectl.OkAsync("-n", Ns, "exec", pod, "--", "cat", "/tmp/copied"));
            await fx.Kubectl.OkAsync("-n", Ns, "delete", "pod", pod, "--wait=false");
        }

        // A second upload is build 2, the stream's newest item.
        File.Delete(tar);
        await UploadAsync(name, ContextTar(("Containerfile", "FROM localhost/paude-agent:latest\nRUN echo two > /tmp/copied\n")));
        Assert.Equal("Complete", (string?)(await FinishedBuildAsync($"{name}-2"))["status"]!["phase"]);
        stream = JsonNode.Parse(await fx.Kubectl.OkAsync("-n", Ns, "get", "is", name, "-o", "json"))!;
        Assert.Equal(2, stream["status"]!["tags"]![0]!["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_failing_build_is_Failed_with_OpenShift_reason_and_its_log()
    {
        var name = Unique("bf");
        await ApplyBuildObjectsAsync(name);
        await UploadAsync(name, ContextTar(("Containerfile", "FROM localhost/paude-agent:latest\nRUN echo about-to-fail && exit 7\n")));
        var done = await FinishedBuildAsync($"{name}-1");
        Assert.Equal("Failed", (string?)done["status"]!["phase"]);
        Assert.Equal("DockerBuildFailed", (string?)done["status"]!["reason"]);
        var log = await fx.Kubectl.OkAsync("get", "--raw", $"/apis/build.openshift.io/v1/namespaces/{Ns}/builds/{name}-1/log");
        Assert.Contains("about-to-fail", log, StringComparison.Ordinal);

        // No image: a pod naming the tag cannot pull it.
        var pod = Unique("bn");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Pod(pod, $"{Registry}/{Ns}/{name}:v1"), Ns);
        await Wait.UntilAsync(
            async () => (await fx.Client.CoreV1.ReadNamespacedPodAsync(pod, Ns)).Status?.ContainerStatuses?.FirstOrDefault()?.State?.Waiting?.Reason,
            r => r is "ErrImagePull" or "ImagePullBackOff",
            "pull failure of an image no build produced");
        await fx.Kubectl.OkAsync("-n", Ns, "delete", "pod", pod, "--wait=false");
    }

    [Fact]
    public async Task Upload_is_refused_when_the_config_is_not_a_binary_docker_build_and_nothing_is_created()
    {
        var name = Unique("br");
        var yaml = $"""
            apiVersion: build.openshift.io/v1
            kind: BuildConfig
            metadata:
              name: {name}
            spec:
              source:
                type: Git
                git:
                  uri: https://example.invalid/repo.git
              strategy:
                type: Docker
              output:
                to:
                  kind: ImageStreamTag
                  name: {name}:latest
            """;
        var (code, _, stderr) = await fx.Kubectl.RunAsync(["-n", Ns, "create", "--validate=false", "-f", "-"], Kubectl.Utf8(yaml));
        Assert.True(code == 0, stderr);
        var (refused, _, err) = await fx.Kubectl.RunAsync(["create", "--raw", $"/apis/build.openshift.io/v1/namespaces/{Ns}/buildconfigs/{name}/instantiatebinary", "-f", ContextTar(("Containerfile", "FROM scratch\n"))]);
        Assert.NotEqual(0, refused);
        Assert.Contains("binary", err, StringComparison.OrdinalIgnoreCase);
        var (none, _, _) = await fx.Kubectl.RunAsync(["-n", Ns, "get", "build", $"{name}-1"]);
        Assert.Equal(1, none);
    }

    [Fact]
    public async Task An_archive_member_climbing_out_of_the_context_fails_the_build_and_writes_nothing_outside()
    {
        var name = Unique("bh");
        await ApplyBuildObjectsAsync(name);
        var escape = $"kt-escape-{Guid.NewGuid():N}";
        var dir = Directory.CreateTempSubdirectory("kt-hostile-").FullName;
        var tar = Path.Combine(dir, "hostile.tar");
        await using (var file = File.Create(tar))
        await using (var writer = new TarWriter(file))
        {
            foreach (var entryName in new[] { "Containerfile", $"../../{escape}", $"/tmp/{escape}" })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream("FROM localhost/paude-agent:latest\n"u8.ToArray()) };
                await writer.WriteEntryAsync(entry);
            }
        }

        await UploadAsync(name, tar);
        var done = await FinishedBuildAsync($"{name}-1");
        Assert.Equal("Failed", (string?)done["status"]!["phase"]);
        Assert.Equal("FetchSourceFailed", (string?)done["status"]!["reason"]);
        // The server's directory is under the temporary directory, so "../.." from a context lands there if anywhere.
        // The absolute member lands inside the context (leading '/' dropped, as GNU tar and OpenShift do); nothing else.
        var found = Directory.EnumerateFiles(Path.GetTempPath(), escape, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 }).ToList();
        Assert.All(found, f => Assert.EndsWith($"/{name}-1/context/tmp/{escape}", f, StringComparison.Ordinal));
    }

    private static V1Pod Pod(string name, string image) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "main", Image = image, Command = ["sleep", "infinity"] }],
            TerminationGracePeriodSeconds = 0,
        },
    };
}
