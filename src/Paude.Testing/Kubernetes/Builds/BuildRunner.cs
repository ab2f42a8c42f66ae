using System.Diagnostics;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Runtime;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Builds;

/// <summary>
/// Runs one binary Docker build as OpenShift's builder pod would: unpacks the upload, builds it with
/// <c>podman build --pull=never --network=none</c> (base images only from the local store, no traffic), tags the
/// result for the internal registry (<see cref="InternalRegistry"/>), and moves the Build through
/// New → Running → Complete/Failed with OpenShift's reasons, updating the ImageStream's <c>status.tags</c>.
/// </summary>
internal sealed class BuildRunner(ObjectStore store, ServerResources resources, PodmanCli podman, TimeProvider time, CancellationToken stopping)
{
    public async Task RunAsync(JsonObject build, BuildRun run, string upload, string? asFile)
    {
        var ns = build.Namespace()!;
        var name = build.Name();
        var started = time.GetTimestamp();
        try
        {
            SetStatus(ns, name, s =>
            {
                s["phase"] = "Running";
                s["startTimestamp"] = Meta.Timestamp(time.GetUtcNow());
            });
            var to = build["spec"]!["output"]!["to"]!;
            var streamNs = to.Str("namespace") ?? ns;
            var (stream, tag) = Split(to.Str("name")!);
            if (store.TryGet(ResourceTypes.ImageStreams, streamNs, stream) is null)
            {
                await run.AppendLogAsync($"error: the output image stream {streamNs}/{stream} does not exist", stopping).ConfigureAwait(false);
                Fail(ns, name, started, "InvalidOutputReference", "Output image could not be resolved.");
                return;
            }

            if (!await UnpackAsync(run, upload, asFile).ConfigureAwait(false))
            {
                Fail(ns, name, started, "FetchSourceFailed", "Failed to fetch the input source.");
                return;
            }

            var local = InternalRegistry.LocalTag(resources.ServerId, streamNs, stream, tag);
            if (!await BuildAsync(build, run, local).ConfigureAwait(false))
            {
                Fail(ns, name, started, "DockerBuildFailed", "Docker build strategy has failed.");
                return;
            }

            var id = (await podman.CheckedAsync(["image", "inspect", "--format", "{{.Id}}", local], stopping).ConfigureAwait(false)).Trim();
            var digest = "sha256:" + id;
            var reference = $"{InternalRegistry.Repository(streamNs, stream)}:{tag}";
            await run.AppendLogAsync($"Successfully pushed {InternalRegistry.Repository(streamNs, stream)}@{digest}", stopping).ConfigureAwait(false);
            await run.AppendLogAsync("Push successful", stopping).ConfigureAwait(false);
            Tag(streamNs, stream, tag, digest);
            SetStatus(ns, name, s =>
            {
                s["phase"] = "Complete";
                s["outputDockerImageReference"] = reference;
                s["output"] = new JsonObject { ["to"] = new JsonObject { ["imageDigest"] = digest } };
                Ended(s, started);
            });
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The server stops; its store goes with it.
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or KubeApiException)
        {
            await TryLogAsync(run, "error: " + e.Message).ConfigureAwait(false);
            TryFail(ns, name, started, "GenericBuildFailed", "Generic Build failure - check logs for details.");
        }
        finally
        {
            run.Finish();
        }
    }

    private async Task<bool> UnpackAsync(BuildRun run, string upload, string? asFile)
    {
        if (asFile is not null)
        {
            await run.AppendLogAsync($"Receiving source from STDIN as file {asFile}", stopping).ConfigureAwait(false);
            File.Move(upload, Path.Combine(run.ContextDirectory, asFile));
            return true;
        }

        await run.AppendLogAsync("Receiving source from STDIN as archive ...", stopping).ConfigureAwait(false);

        // GNU tar detects gzip itself, drops leading '/' and refuses members with '..': nothing lands outside.
        var (code, _, stderr) = await Tool("tar", ["-xf", upload, "-C", run.ContextDirectory, "--no-same-owner", "--no-same-permissions"]).ConfigureAwait(false);
        if (code != 0)
        {
            await run.AppendLogAsync("error: unable to extract binary build input: " + stderr.Trim(), stopping).ConfigureAwait(false);
        }

        return code == 0;
    }

    private async Task<bool> BuildAsync(JsonObject build, BuildRun run, string local)
    {
        var docker = build["spec"]?["strategy"]?["dockerStrategy"];
        var dockerfile = docker?.Str("dockerfilePath") ?? "Dockerfile";
        var file = Path.GetFullPath(Path.Combine(run.ContextDirectory, dockerfile));
        if (!file.StartsWith(run.ContextDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(file))
        {
            await run.AppendLogAsync($"error: {dockerfile} not found in the build context", stopping).ConfigureAwait(false);
            return false;
        }

        var args = new List<string> { "build", "--pull=never", "--network=none", "--file", file, "--tag", local };
        foreach (var (k, v) in resources.Labels)
        {
            args.AddRange(["--label", $"{k}={v}"]);
        }

        foreach (var arg in docker?["buildArgs"].Objects() ?? [])
        {
            args.AddRange(["--build-arg", $"{arg.Str("name")}={arg.Str("value") ?? ""}"]);
        }

        args.Add(run.ContextDirectory);
        using var process = podman.Start(args, redirectStdin: false);
        await using var log = new FileStream(run.LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        using var gate = new SemaphoreSlim(1);
        try
        {
            await Task.WhenAll(Copy(process.StandardOutput.BaseStream, log, gate), Copy(process.StandardError.BaseStream, log, gate)).ConfigureAwait(false);
            await process.WaitForExitAsync(stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            PodmanCli.TryKill(process);
            throw;
        }

        return process.ExitCode == 0;
    }

    private async Task Copy(Stream from, Stream to, SemaphoreSlim gate)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, stopping).ConfigureAwait(false)) > 0)
        {
            await gate.WaitAsync(stopping).ConfigureAwait(false);
            try
            {
                await to.WriteAsync(buffer.AsMemory(0, n), stopping).ConfigureAwait(false);
                await to.FlushAsync(stopping).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task<(int Code, string StdOut, string StdErr)> Tool(string executable, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(executable, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"{executable} could not be started");
        var stdout = process.StandardOutput.ReadToEndAsync(stopping);
        var stderr = process.StandardError.ReadToEndAsync(stopping);
        await process.WaitForExitAsync(stopping).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Records the new image as the tag's newest item, as the registry does after a push.</summary>
    private void Tag(string ns, string stream, string tag, string digest) =>
        store.Update(ResourceTypes.ImageStreams, ns, stream, s =>
        {
            var status = s.Obj("status");
            status["dockerImageRepository"] = InternalRegistry.Repository(ns, stream);
            var tags = status["tags"] as JsonArray ?? [];
            status["tags"] = tags;
            var entry = tags.Objects().FirstOrDefault(t => t.Str("tag") == tag);
            if (entry is null)
            {
                entry = new JsonObject { ["tag"] = tag, ["items"] = new JsonArray() };
                tags.Add(entry);
            }

            var items = entry["items"] as JsonArray ?? [];
            entry["items"] = items;
            items.Insert(0, new JsonObject
            {
                ["created"] = Meta.Timestamp(time.GetUtcNow()),
                ["dockerImageReference"] = $"{InternalRegistry.Repository(ns, stream)}@{digest}",
                ["image"] = digest,
                ["generation"] = s.Metadata().Int("generation", 1),
            });
            return s;
        }, statusOnly: true);

    private void Fail(string ns, string name, long started, string reason, string message) =>
        SetStatus(ns, name, s =>
        {
            s["phase"] = "Failed";
            s["reason"] = reason;
            s["message"] = message;
            Ended(s, started);
        });

    private void TryFail(string ns, string name, long started, string reason, string message)
    {
        try
        {
            Fail(ns, name, started, reason, message);
        }
        catch (KubeApiException)
        {
            // The build was deleted meanwhile.
        }
    }

    private static async Task TryLogAsync(BuildRun run, string line)
    {
        try
        {
            await run.AppendLogAsync(line, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The directory went with the server.
        }
    }

    private void Ended(JsonObject status, long started)
    {
        status["completionTimestamp"] = Meta.Timestamp(time.GetUtcNow());

        // OpenShift reports the duration in nanoseconds.
        status["duration"] = (long)(time.GetElapsedTime(started).TotalMilliseconds * 1_000_000);
    }

    private void SetStatus(string ns, string name, Action<JsonObject> change) =>
        store.Update(ResourceTypes.Builds, ns, name, b =>
        {
            change(b.Obj("status"));
            return b;
        }, statusOnly: true);

    private static (string Stream, string Tag) Split(string streamTag)
    {
        var colon = streamTag.LastIndexOf(':');
        return (streamTag[..colon], streamTag[(colon + 1)..]);
    }
}
