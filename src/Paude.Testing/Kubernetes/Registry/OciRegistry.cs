using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Paude.Testing.Kubernetes.Registry;

/// <summary>
/// The test server's private registry over HTTP on 127.0.0.1 (plain HTTP: clients use <c>--tls-verify=false</c>): the
/// OCI distribution API a <c>podman push</c>/<c>pull</c> or <c>skopeo</c> speaks — <c>/v2/</c> ping, blob HEAD/GET,
/// uploads (POST, chunked PATCH, PUT; monolithic POST with <c>?digest=</c>; cross-repository mount), manifest
/// PUT/GET/HEAD by tag or digest, tag list and catalog. Every blob and manifest is checked against its digest before
/// it is stored, and a manifest only names blobs (or manifests) the registry holds. Logins: <see cref="RegistryAuth"/>.
/// Not served: deletion, referrers, range reads, digests other than sha256.
/// </summary>
internal sealed class OciRegistry : IAsyncDisposable
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly WebApplication _app;
    private readonly RegistryStorage _storage;
    private readonly RegistryAuth _auth;

    private OciRegistry(WebApplication app, RegistryStorage storage, RegistryAuth auth)
    {
        _app = app;
        _storage = storage;
        _auth = auth;
    }

    /// <summary><c>127.0.0.1:&lt;port&gt;</c>, the host part of every image reference into this registry.</summary>
    public string Address { get; private set; } = "";

    public static async Task<OciRegistry> StartAsync(TestRegistry login, string root, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(System.Net.IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null; // layers are any size
        });
        var app = builder.Build();
        var registry = new OciRegistry(app, new RegistryStorage(root), new RegistryAuth(login));
        app.Run(registry.HandleAsync);
        await app.StartAsync(ct).ConfigureAwait(false);
        registry.Address = new Uri(app.Urls.First()).Authority;
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        var ct = context.RequestAborted;
        var path = request.Path.Value ?? "/";
        response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (path == "/token")
        {
            if (_auth.IssueToken(request) is { } token)
            {
                await JsonAsync(response, new JsonObject { ["token"] = token, ["access_token"] = token, ["expires_in"] = 3600 }, ct).ConfigureAwait(false);
            }
            else
            {
                await ErrorAsync(response, 401, "UNAUTHORIZED", "authentication required", ct).ConfigureAwait(false);
            }

            return;
        }

        if (!path.StartsWith("/v2", StringComparison.Ordinal))
        {
            await ErrorAsync(response, 404, "NOT_FOUND", "not a registry path", ct).ConfigureAwait(false);
            return;
        }

        if (!_auth.Allows(request))
        {
            response.Headers.WWWAuthenticate = RegistryAuth.Challenge(request);
            await ErrorAsync(response, 401, "UNAUTHORIZED", "authentication required", ct).ConfigureAwait(false);
            return;
        }

        if (path is "/v2" or "/v2/")
        {
            await JsonAsync(response, new JsonObject(), ct).ConfigureAwait(false);
            return;
        }

        if (path == "/v2/_catalog")
        {
            await JsonAsync(response, new JsonObject { ["repositories"] = Array(_storage.Repositories()) }, ct).ConfigureAwait(false);
            return;
        }

        var rest = path["/v2/".Length..];
        if (Split(rest, "/blobs/uploads") is var (uploadRepo, uploadTail))
        {
            await UploadAsync(context, uploadRepo, uploadTail.TrimStart('/')).ConfigureAwait(false);
        }
        else if (Split(rest, "/blobs/") is var (blobRepo, digest))
        {
            await BlobAsync(context, blobRepo, digest).ConfigureAwait(false);
        }
        else if (Split(rest, "/manifests/") is var (manifestRepo, reference))
        {
            await ManifestAsync(context, manifestRepo, reference).ConfigureAwait(false);
        }
        else if (rest.EndsWith("/tags/list", StringComparison.Ordinal) && rest[..^"/tags/list".Length] is var tagsRepo && RegistryStorage.ValidRepository(tagsRepo))
        {
            await JsonAsync(response, new JsonObject { ["name"] = tagsRepo, ["tags"] = Array(_storage.Tags(tagsRepo)) }, ct).ConfigureAwait(false);
        }
        else
        {
            await ErrorAsync(response, 404, "NOT_FOUND", "not a registry path", ct).ConfigureAwait(false);
        }
    }

    private async Task UploadAsync(HttpContext context, string repository, string id)
    {
        var (request, response, ct) = (context.Request, context.Response, context.RequestAborted);
        if (!RegistryStorage.ValidRepository(repository))
        {
            await ErrorAsync(response, 400, "NAME_INVALID", "invalid repository name", ct).ConfigureAwait(false);
            return;
        }

        var digest = request.Query["digest"].ToString();
        if (id.Length == 0 && HttpMethods.IsPost(request.Method))
        {
            if (request.Query["mount"].ToString() is { Length: > 0 } mount && _storage.BlobPath(mount) is not null)
            {
                await CreatedBlobAsync(response, repository, mount).ConfigureAwait(false);
                return;
            }

            id = _storage.StartUpload();
            if (digest.Length > 0)
            {
                // Monolithic: the whole blob in the POST.
                await _storage.FindUpload(id)!.AppendAsync(request.Body, null, ct).ConfigureAwait(false);
                await FinishAsync(response, repository, id, digest, ct).ConfigureAwait(false);
                return;
            }

            await AcceptedAsync(response, repository, id, 0).ConfigureAwait(false);
            return;
        }

        if (_storage.FindUpload(id) is not { } upload)
        {
            await ErrorAsync(response, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", ct).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPatch(request.Method) || HttpMethods.IsPut(request.Method))
        {
            if (!await upload.AppendAsync(request.Body, RangeStart(request.Headers.ContentRange.ToString()), ct).ConfigureAwait(false))
            {
                response.StatusCode = 416;
                response.Headers.Range = $"0-{Math.Max(0, upload.Length - 1)}";
                return;
            }

            if (HttpMethods.IsPatch(request.Method))
            {
                await AcceptedAsync(response, repository, id, upload.Length).ConfigureAwait(false);
            }
            else
            {
                await FinishAsync(response, repository, id, digest, ct).ConfigureAwait(false);
            }
        }
        else if (HttpMethods.IsGet(request.Method))
        {
            response.StatusCode = 204;
            response.Headers.Location = $"/v2/{repository}/blobs/uploads/{id}";
            response.Headers.Range = $"0-{Math.Max(0, upload.Length - 1)}";
            response.Headers["Docker-Upload-UUID"] = id;
        }
        else if (HttpMethods.IsDelete(request.Method))
        {
            _storage.CancelUpload(id);
            response.StatusCode = 204;
        }
        else
        {
            await ErrorAsync(response, 405, "UNSUPPORTED", "method not allowed", ct).ConfigureAwait(false);
        }
    }

    private async Task FinishAsync(HttpResponse response, string repository, string id, string digest, CancellationToken ct)
    {
        if (_storage.CompleteUpload(id, digest))
        {
            await CreatedBlobAsync(response, repository, digest).ConfigureAwait(false);
        }
        else
        {
            await ErrorAsync(response, 400, "DIGEST_INVALID", "provided digest did not match uploaded content", ct).ConfigureAwait(false);
        }
    }

    private async Task BlobAsync(HttpContext context, string repository, string digest)
    {
        var (request, response, ct) = (context.Request, context.Response, context.RequestAborted);
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await ErrorAsync(response, 405, "UNSUPPORTED", "method not allowed", ct).ConfigureAwait(false);
            return;
        }

        if (!RegistryStorage.ValidRepository(repository) || _storage.BlobPath(digest) is not { } path)
        {
            await ErrorAsync(response, 404, "BLOB_UNKNOWN", "blob unknown to registry", ct).ConfigureAwait(false);
            return;
        }

        response.ContentType = "application/octet-stream";
        response.ContentLength = new FileInfo(path).Length;
        response.Headers["Docker-Content-Digest"] = digest;
        if (HttpMethods.IsGet(request.Method))
        {
            await response.SendFileAsync(path, ct).ConfigureAwait(false);
        }
    }

    private async Task ManifestAsync(HttpContext context, string repository, string reference)
    {
        var (request, response, ct) = (context.Request, context.Response, context.RequestAborted);
        if (!RegistryStorage.ValidRepository(repository))
        {
            await ErrorAsync(response, 400, "NAME_INVALID", "invalid repository name", ct).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPut(request.Method))
        {
            await PutManifestAsync(context, repository, reference).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            await ErrorAsync(response, 405, "UNSUPPORTED", "method not allowed", ct).ConfigureAwait(false);
            return;
        }

        if (_storage.FindManifest(repository, reference) is not var (digest, mediaType, path))
        {
            await ErrorAsync(response, 404, "MANIFEST_UNKNOWN", "manifest unknown", ct).ConfigureAwait(false);
            return;
        }

        response.ContentType = mediaType;
        response.ContentLength = new FileInfo(path).Length;
        response.Headers["Docker-Content-Digest"] = digest;
        if (HttpMethods.IsGet(request.Method))
        {
            await response.SendFileAsync(path, ct).ConfigureAwait(false);
        }
    }

    private async Task PutManifestAsync(HttpContext context, string repository, string reference)
    {
        var (request, response, ct) = (context.Request, context.Response, context.RequestAborted);
        var byDigest = reference.Contains(':', StringComparison.Ordinal);
        if (!byDigest && !RegistryStorage.ValidTag(reference))
        {
            await ErrorAsync(response, 400, "TAG_INVALID", "manifest tag did not match URI", ct).ConfigureAwait(false);
            return;
        }

        if (await ReadLimitedAsync(request.Body, MaxManifestBytes, ct).ConfigureAwait(false) is not { } body)
        {
            await ErrorAsync(response, 413, "SIZE_INVALID", $"manifest larger than {MaxManifestBytes} bytes", ct).ConfigureAwait(false);
            return;
        }

        JsonObject? manifest;
        try
        {
            manifest = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            manifest = null;
        }

        var mediaType = request.ContentType is { Length: > 0 } given ? given : manifest?["mediaType"]?.GetValue<string>();
        if (manifest is null || mediaType is null)
        {
            await ErrorAsync(response, 400, "MANIFEST_INVALID", "manifest invalid (not a JSON object with a media type)", ct).ConfigureAwait(false);
            return;
        }

        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body));
        if (byDigest && reference != expected)
        {
            await ErrorAsync(response, 400, "DIGEST_INVALID", "provided digest did not match uploaded content", ct).ConfigureAwait(false);
            return;
        }

        var missing = References(manifest).FirstOrDefault(r => r.IsManifest ? !_storage.HasManifest(repository, r.Digest) : _storage.BlobPath(r.Digest) is null);
        if (missing.Digest is not null)
        {
            await ErrorAsync(response, 400, missing.IsManifest ? "MANIFEST_UNKNOWN" : "MANIFEST_BLOB_UNKNOWN", $"manifest references unknown {(missing.IsManifest ? "manifest" : "blob")} {missing.Digest}", ct).ConfigureAwait(false);
            return;
        }

        var digest = _storage.PutManifest(repository, body, mediaType, byDigest ? null : reference);
        response.StatusCode = 201;
        response.Headers.Location = $"/v2/{repository}/manifests/{digest}";
        response.Headers["Docker-Content-Digest"] = digest;
    }

    /// <summary>The blobs (config, layers) or child manifests (an index) a manifest names; a digest missing is "".</summary>
    private static IEnumerable<(string Digest, bool IsManifest)> References(JsonObject manifest)
    {
        static string Digest(JsonNode? descriptor) => descriptor is JsonObject d && d["digest"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        if (manifest["config"] is JsonObject config)
        {
            yield return (Digest(config), false);
        }

        foreach (var layer in manifest["layers"] as JsonArray ?? [])
        {
            yield return (Digest(layer), false);
        }

        foreach (var child in manifest["manifests"] as JsonArray ?? [])
        {
            yield return (Digest(child), true);
        }
    }

    private static async Task<byte[]?> ReadLimitedAsync(Stream body, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary><c>"&lt;start&gt;-&lt;end&gt;"</c> (optionally <c>bytes </c>-prefixed) → start; none or unparsable → null.</summary>
    private static long? RangeStart(string contentRange)
    {
        var text = contentRange.StartsWith("bytes ", StringComparison.Ordinal) ? contentRange[6..] : contentRange;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash > 0 && long.TryParse(text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }

    private static (string Repository, string Tail)? Split(string rest, string marker)
    {
        var at = rest.LastIndexOf(marker, StringComparison.Ordinal);
        return at > 0 ? (rest[..at], rest[(at + marker.Length)..]) : null;
    }

    private static Task AcceptedAsync(HttpResponse response, string repository, string id, long length)
    {
        response.StatusCode = 202;
        response.Headers.Location = $"/v2/{repository}/blobs/uploads/{id}";
        response.Headers.Range = $"0-{Math.Max(0, length - 1)}";
        response.Headers["Docker-Upload-UUID"] = id;
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static Task CreatedBlobAsync(HttpResponse response, string repository, string digest)
    {
        response.StatusCode = 201;
        response.Headers.Location = $"/v2/{repository}/blobs/{digest}";
        response.Headers["Docker-Content-Digest"] = digest;
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static Task ErrorAsync(HttpResponse response, int status, string code, string message, CancellationToken ct)
    {
        response.StatusCode = status;
        var errors = new JsonArray(new JsonObject { ["code"] = code, ["message"] = message });
        return JsonAsync(response, new JsonObject { ["errors"] = errors }, ct);
    }

    private static Task JsonAsync(HttpResponse response, JsonObject body, CancellationToken ct)
    {
        response.ContentType = "application/json";
        return response.WriteAsync(body.ToJsonString(), ct);
    }

    private static JsonArray Array(IEnumerable<string> items) => new(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
}
