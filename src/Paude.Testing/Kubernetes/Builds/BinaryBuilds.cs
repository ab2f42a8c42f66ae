using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Runtime;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Builds;

/// <summary>
/// OpenShift's binary build endpoints: <c>POST buildconfigs/&lt;n&gt;/instantiatebinary</c> takes the build context
/// (a tar archive, gzip allowed, or one file with <c>asFile</c>), creates Build <c>&lt;n&gt;-&lt;version&gt;</c> and answers it
/// (201) while <see cref="BuildRunner"/> builds it with <c>podman build</c>; <c>GET builds/&lt;b&gt;/log</c> serves its log
/// (<c>follow=true</c> streams until the build ends).
/// </summary>
internal sealed class BinaryBuilds(ObjectStore store, BuildRunner runner, string root)
{
    private readonly ConcurrentDictionary<(string Ns, string Name), BuildRun> _runs = new();
    private readonly ConcurrentBag<Task> _tasks = [];

    public async Task InstantiateAsync(HttpContext context, string ns, string configName)
    {
        var ct = context.RequestAborted;
        var config = store.Get(ResourceTypes.BuildConfigs, ns, configName);
        var asFile = (string?)context.Request.Query["asFile"];
        CheckBinaryDockerConfig(config, asFile);

        // The version is taken under the store lock, so two uploads at once get two builds.
        var counted = store.Update(ResourceTypes.BuildConfigs, ns, configName, c =>
        {
            var status = c.Obj("status");
            status["lastVersion"] = status.Int("lastVersion", 0) + 1;
            return c;
        }, statusOnly: true);
        var version = counted["status"].Int("lastVersion", 1);
        var buildName = $"{configName}-{version.ToString(CultureInfo.InvariantCulture)}";
        var run = new BuildRun(Path.Combine(root, "builds", ns, buildName));
        Directory.CreateDirectory(run.ContextDirectory);
        var upload = Path.Combine(run.Directory, asFile is null ? "upload.tar" : "upload");
        await using (var file = File.Create(upload))
        {
            await context.Request.Body.CopyToAsync(file, ct).ConfigureAwait(false);
        }

        var build = store.Create(ResourceTypes.Builds, ns, NewBuild(config, buildName, version));
        _runs[(ns, buildName)] = run;
        _tasks.Add(Task.Run(() => runner.RunAsync(build, run, upload, asFile), CancellationToken.None));
        await ApiHandler.WriteAsync(context, 201, build).ConfigureAwait(false);
    }

    public async Task LogsAsync(HttpContext context, JsonObject build)
    {
        var ct = context.RequestAborted;
        if (!_runs.TryGetValue((build.Namespace()!, build.Name()), out var run))
        {
            throw KubeApiException.BadRequest($"build {build.Name()} has no log: it was not started by this server");
        }

        var follow = ApiHandler.IsTrue(context.Request.Query["follow"]);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.StartAsync(ct).ConfigureAwait(false);
        long position = 0;
        while (true)
        {
            // Read what is there; when following, wait for more until the build ended and the rest is sent.
            var ended = run.Finished.IsCompleted;
            position = await SendFromAsync(run.LogPath, position, context.Response.Body, ct).ConfigureAwait(false);
            if (!follow || ended)
            {
                return;
            }

            await Task.WhenAny(run.Finished, Task.Delay(TimeSpan.FromMilliseconds(200), ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Waits for every build this server started (they stop when the server stops).</summary>
    public Task DrainAsync() => Task.WhenAll(_tasks);

    private static async Task<long> SendFromAsync(string path, long position, Stream to, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return position;
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        file.Position = position;
        await file.CopyToAsync(to, ct).ConfigureAwait(false);
        await to.FlushAsync(ct).ConfigureAwait(false);
        return file.Position;
    }

    /// <summary>The checks OpenShift makes before it accepts content for a build (400 otherwise).</summary>
    private static void CheckBinaryDockerConfig(JsonObject config, string? asFile)
    {
        var spec = config["spec"];
        if (spec?["source"]?.Str("type") != "Binary")
        {
            throw KubeApiException.BadRequest($"build config {config.Name()} does not have a binary source (spec.source.type must be Binary)");
        }

        if (spec["strategy"]?.Str("type") != "Docker")
        {
            throw KubeApiException.BadRequest($"build config {config.Name()}: this server builds only the Docker strategy");
        }

        if (spec["output"]?["to"] is not JsonObject to || to.Str("kind") != "ImageStreamTag" || to.Str("name") is not { } tag || !tag.Contains(':', StringComparison.Ordinal))
        {
            throw KubeApiException.BadRequest($"build config {config.Name()}: spec.output.to must be an ImageStreamTag 'name:tag'");
        }

        if (asFile is not null && (asFile.Length == 0 || asFile.Contains('/', StringComparison.Ordinal) || asFile is "." or ".."))
        {
            throw KubeApiException.BadRequest($"asFile: '{asFile}' must be a plain file name");
        }
    }

    private static JsonObject NewBuild(JsonObject config, string name, int version) => new()
    {
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["buildconfig"] = config.Name(), ["openshift.io/build-config.name"] = config.Name() },
            ["annotations"] = new JsonObject
            {
                ["openshift.io/build-config.name"] = config.Name(),
                ["openshift.io/build.number"] = version.ToString(CultureInfo.InvariantCulture),
            },
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = ResourceTypes.BuildConfigs.ApiVersion,
                ["kind"] = ResourceTypes.BuildConfigs.Kind,
                ["name"] = config.Name(),
                ["uid"] = config.Uid(),
                ["controller"] = true,
            }),
        },
        ["spec"] = config["spec"]!.DeepClone(),
        ["status"] = new JsonObject
        {
            ["phase"] = "New",
            ["config"] = new JsonObject { ["kind"] = "BuildConfig", ["namespace"] = config.Namespace(), ["name"] = config.Name() },
            ["outputDockerImageReference"] = OutputReference(config),
        },
    };

    internal static string OutputReference(JsonObject buildOrConfig)
    {
        var to = buildOrConfig["spec"]?["output"]?["to"];
        var ns = to?.Str("namespace") ?? buildOrConfig.Namespace()!;
        return $"{InternalRegistry.Host}/{ns}/{to?.Str("name")}";
    }
}
