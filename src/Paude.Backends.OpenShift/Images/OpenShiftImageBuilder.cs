using System.Diagnostics;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.OpenShift.Images;
using Paude.Errors;

namespace Paude.Backends.OpenShift;

/// <summary>
/// Builds an image inside an OpenShift cluster, as <c>oc start-build --from-dir</c> does, through the API only: it
/// makes sure ImageStream and BuildConfig (binary source, Docker strategy, output the ImageStream tag) exist, uploads
/// the context directory as a tar archive to <c>buildconfigs/&lt;n&gt;/instantiatebinary</c>, streams the build log, and
/// returns the tag's pull spec once the Build is Complete (a failed build throws <see cref="ImageBuildFailedException"/>
/// with its reason and log tail). Sessions then take <see cref="ImageBuildResult.ImageReference"/> as their image.
/// </summary>
public sealed class OpenShiftImageBuilder : IDisposable
{
    private const string BuildGroup = "build.openshift.io";
    private const string ImageGroup = "image.openshift.io";
    private readonly Kubernetes _client;
    private readonly RawRequestHandler _raw;
    private readonly string _namespace;
    private readonly ILogger _logger;

    private OpenShiftImageBuilder(Kubernetes client, RawRequestHandler raw, string ns, ILogger logger)
    {
        _client = client;
        _raw = raw;
        _namespace = ns;
        _logger = logger;
    }

    /// <summary>The namespace builds run in (the options' namespace, else the context's).</summary>
    public string Namespace => _namespace;

    /// <summary>Connects with the cluster settings of <paramref name="options"/> (kubeconfig, context, namespace, in-cluster).</summary>
    /// <param name="options">The backend options; only the connection settings are used.</param>
    /// <param name="logger">Where progress is logged; <see langword="null"/> for none.</param>
    /// <returns>A builder; dispose it to close its connections.</returns>
    public static OpenShiftImageBuilder Create(OpenShiftBackendOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid OpenShift options", errors);
        }

        var (config, ns) = ClusterConnection.Load("openshift", options);

        var raw = new RawRequestHandler();
        var client = new Kubernetes(config, raw);
        return new OpenShiftImageBuilder(client, raw, ns, logger ?? NullLogger.Instance);
    }

    /// <summary>Builds <paramref name="request"/> in the cluster and waits for the image.</summary>
    /// <param name="request">Context, Containerfile and target ImageStream tag; invalid requests throw <see cref="InvalidOptionsException"/>.</param>
    /// <param name="log">Receives the build log line by line as the cluster writes it; <see langword="null"/> to ignore it.</param>
    /// <param name="cancellationToken">Stops waiting (the cluster build itself goes on).</param>
    /// <returns>The image's pull specs and the Build's name.</returns>
    public async Task<ImageBuildResult> BuildAsync(ImageBuildRequest request, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        var ct = timeout.Token;
        await EnsureObjectsAsync(request, ct).ConfigureAwait(false);

        var archive = await ContextArchive.CreateAsync(request.ContextDirectory, ct).ConfigureAwait(false);
        string buildName;
        try
        {
            buildName = await UploadAsync(request.ImageStream, archive, ct).ConfigureAwait(false);
        }
        finally
        {
            File.Delete(archive);
        }

        ImageLog.Started(_logger, buildName, _namespace);
        var tail = new LogTail(log);
        try
        {
            var build = await new BuildFollower(_client, _raw, _namespace, buildName).FollowAsync(tail, ct).ConfigureAwait(false);
            var status = build.GetProperty("status");
            var phase = Str(status, "phase") ?? "Unknown";
            if (phase != "Complete")
            {
                throw new ImageBuildFailedException(buildName, phase, Str(status, "reason"), Str(status, "message") ?? "the build did not complete", tail.Lines);
            }

            var reference = Str(status, "outputDockerImageReference") ?? throw new ImageBuildFailedException(buildName, phase, null, "the Build reports no output image", tail.Lines);
            var digest = status.TryGetProperty("output", out var output) && output.TryGetProperty("to", out var to) ? Str(to, "imageDigest") : null;
            var repository = reference.LastIndexOf(':') > reference.LastIndexOf('/') ? reference[..reference.LastIndexOf(':')] : reference;
            var elapsed = Stopwatch.GetElapsedTime(started);
            ImageLog.Finished(_logger, buildName, reference, elapsed.TotalSeconds);
            return new ImageBuildResult(reference, digest is null ? null : $"{repository}@{digest}", buildName, elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ImageBuildFailedException(buildName, "Running", "Timeout", $"the build did not finish within {request.Timeout}", tail.Lines);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>Creates the ImageStream and BuildConfig, or brings an existing BuildConfig's spec to this request's.</summary>
    private async Task EnsureObjectsAsync(ImageBuildRequest request, CancellationToken ct)
    {
        var name = request.ImageStream;
        var labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "paude" };
        var stream = new Dictionary<string, object>
        {
            ["apiVersion"] = $"{ImageGroup}/v1",
            ["kind"] = "ImageStream",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = labels },
        };
        await CreateIfAbsentAsync(stream, ImageGroup, "imagestreams", ct).ConfigureAwait(false);

        var spec = new Dictionary<string, object>
        {
            ["source"] = new Dictionary<string, object> { ["type"] = "Binary", ["binary"] = new Dictionary<string, object>() },
            ["strategy"] = new Dictionary<string, object>
            {
                ["type"] = "Docker",
                ["dockerStrategy"] = new Dictionary<string, object> { ["dockerfilePath"] = request.ResolvedContainerfile },
            },
            ["output"] = new Dictionary<string, object>
            {
                ["to"] = new Dictionary<string, object> { ["kind"] = "ImageStreamTag", ["name"] = $"{name}:{request.Tag}" },
            },
        };
        var config = new Dictionary<string, object>
        {
            ["apiVersion"] = $"{BuildGroup}/v1",
            ["kind"] = "BuildConfig",
            ["metadata"] = new Dictionary<string, object> { ["name"] = name, ["labels"] = labels },
            ["spec"] = spec,
        };
        if (!await CreateIfAbsentAsync(config, BuildGroup, "buildconfigs", ct).ConfigureAwait(false))
        {
            // An earlier build of another tag or Containerfile: this request's spec wins (a merge patch of spec).
            var patch = new Dictionary<string, object> { ["spec"] = spec };
            await Translate("update BuildConfig " + name, () => _client.CustomObjects.PatchNamespacedCustomObjectAsync(
                new k8s.Models.V1Patch(patch, k8s.Models.V1Patch.PatchType.MergePatch), BuildGroup, "v1", _namespace, "buildconfigs", name, cancellationToken: ct)).ConfigureAwait(false);
        }
    }

    private async Task<bool> CreateIfAbsentAsync(Dictionary<string, object> body, string group, string plural, CancellationToken ct)
    {
        try
        {
            await _client.CustomObjects.CreateNamespacedCustomObjectAsync(body, group, "v1", _namespace, plural, cancellationToken: ct).ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (HttpOperationException e)
        {
            throw Failure($"create {plural} in {_namespace}", e);
        }
    }

    /// <summary>POSTs the archive to instantiatebinary; answers the new Build's name.</summary>
    private async Task<string> UploadAsync(string configName, string archive, CancellationToken ct)
    {
        await using var file = File.OpenRead(archive);
        var content = new StreamContent(file);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        var key = _raw.Register(new RawCall(
            $"/{Uri.EscapeDataString(configName)}/instantiatebinary",
            $"name={Uri.EscapeDataString(configName)}&namespace={Uri.EscapeDataString(_namespace)}",
            content,
            Reader: null));
        try
        {
            var headers = new Dictionary<string, IReadOnlyList<string>> { [RawRequestHandler.Header] = [key] };
            using var response = await Translate("upload the build context", () => _client.CustomObjects.CreateNamespacedCustomObjectWithHttpMessagesAsync(
                new Dictionary<string, object>(), BuildGroup, "v1", _namespace, "buildconfigs", customHeaders: headers, cancellationToken: ct)).ConfigureAwait(false);
            var build = (JsonElement)response.Body;
            return Str(build.GetProperty("metadata"), "name") ?? throw new BackendOperationException("The cluster answered the build upload without a Build name");
        }
        finally
        {
            _raw.Forget(key);
        }
    }

    private static async Task<T> Translate<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw Failure(what, e);
        }
    }

    internal static BackendOperationException Failure(string what, HttpOperationException e)
    {
        var code = (int?)e.Response?.StatusCode;
        var message = e.Response?.Content is { Length: > 0 } body && TryMessage(body) is { } m ? m : e.Message;
        var hint = code == 404 ? " (does this cluster serve the OpenShift build and image APIs?)" : "";
        return new BackendOperationException($"Could not {what}: {code} {message}{hint}", e);
    }

    private static string? TryMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static string? Str(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
