using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Registry;

/// <summary>
/// The served registry's OCI distribution API, driven request by request over real HTTP: logins, monolithic and
/// chunked uploads, digests checked on every blob and manifest (a wrong one stores nothing), manifests by tag and
/// digest. The real clients (podman push/pull, the kubelet's pull) are in <see cref="RegistryPushPullTests"/>.
/// </summary>
public sealed class RegistryProtocolTests(RegistryServerFixture fx) : IClassFixture<RegistryServerFixture>, IDisposable
{
    private readonly HttpClient _http = new();

    private Uri Url(string path) => new($"http://{fx.Server.RegistryAddress}{path}");

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string pathOrUrl, byte[]? body = null, string? contentType = null, string? contentRange = null, bool login = true)
    {
        using var request = new HttpRequestMessage(method, pathOrUrl.StartsWith("http", StringComparison.Ordinal) ? new Uri(pathOrUrl) : Url(pathOrUrl));
        if (login)
        {
            request.Headers.Authorization = Basic(RegistryServerFixture.Registry.Username, RegistryServerFixture.Registry.Password);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType ?? "application/octet-stream");
            if (contentRange is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
            }
        }

        return await _http.SendAsync(request);
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["code"]!.GetValue<string>();

    private static string Location(HttpResponseMessage response) => response.Headers.Location!.ToString();

    [Fact]
    public async Task Every_request_needs_a_login_by_basic_credentials_or_a_token_from_the_challenge()
    {
        Assert.NotNull(fx.Server.RegistryAddress);
        var anonymous = await SendAsync(HttpMethod.Get, "/v2/", login: false);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("UNAUTHORIZED", await ErrorCodeAsync(anonymous));
        var challenge = anonymous.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains($"realm=\"http://{fx.Server.RegistryAddress}/token\"", challenge.Parameter, StringComparison.Ordinal);

        // The token endpoint takes only the registry's login.
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, Url("/token?service=paude-test-registry")))
        {
            wrong.Headers.Authorization = Basic(RegistryServerFixture.Registry.Username, "wrong");
            Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(wrong)).StatusCode);
        }

        var tokenResponse = await SendAsync(HttpMethod.Get, "/token?service=paude-test-registry&scope=repository:x:pull");
        var token = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        using var bearer = new HttpRequestMessage(HttpMethod.Get, Url("/v2/"));
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var ping = await _http.SendAsync(bearer);
        Assert.Equal(HttpStatusCode.OK, ping.StatusCode);
        Assert.Equal("registry/2.0", ping.Headers.GetValues("Docker-Distribution-API-Version").Single());

        using var forged = new HttpRequestMessage(HttpMethod.Get, Url("/v2/"));
        forged.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token + "0");
        Assert.Equal(HttpStatusCode.Unauthorized, (await _http.SendAsync(forged)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(HttpMethod.Get, "/v2/team/app/tags/list", login: false)).StatusCode);
    }

    [Fact]
    public async Task Blobs_upload_monolithic_and_chunked_and_a_wrong_digest_stores_nothing()
    {
        var repo = $"team/proto-{Guid.NewGuid().ToString("N")[..6]}";
        var blob = RandomNumberGenerator.GetBytes(200_000);
        var digest = Digest(blob);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, $"/v2/{repo}/blobs/{digest}")).StatusCode);

        // Monolithic with the wrong digest: refused, nothing stored under either digest.
        var wrongDigest = Digest([1, 2, 3]);
        var refused = await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={wrongDigest}", blob);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("DIGEST_INVALID", await ErrorCodeAsync(refused));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, $"/v2/{repo}/blobs/{wrongDigest}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, $"/v2/{repo}/blobs/{digest}")).StatusCode);

        // Chunked: POST, two PATCHes (an out-of-order one refused with 416), PUT with the digest.
        var start = await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/");
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var first = await SendAsync(HttpMethod.Patch, Location(start), blob[..120_000], contentRange: "0-119999");
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal("0-119999", first.Headers.GetValues("Range").Single());
        Assert.Equal((HttpStatusCode)416, (await SendAsync(HttpMethod.Patch, Location(first), blob[..10], contentRange: "5-14")).StatusCode);
        var second = await SendAsync(HttpMethod.Patch, Location(first), blob[120_000..], contentRange: "120000-199999");
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var put = await SendAsync(HttpMethod.Put, $"{Location(second)}?digest={digest}");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, put.Headers.GetValues("Docker-Content-Digest").Single());

        var head = await SendAsync(HttpMethod.Head, $"/v2/{repo}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(blob.Length, head.Content.Headers.ContentLength);
        Assert.Equal(blob, await (await SendAsync(HttpMethod.Get, $"/v2/{repo}/blobs/{digest}")).Content.ReadAsByteArrayAsync());

        // A chunked upload ending with the wrong digest is refused and its upload is gone.
        var other = await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/");
        var chunk = await SendAsync(HttpMethod.Patch, Location(other), [9, 9, 9]);
        var badPut = await SendAsync(HttpMethod.Put, $"{Location(chunk)}?digest={Digest([9, 9])}");
        Assert.Equal("DIGEST_INVALID", await ErrorCodeAsync(badPut));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, Location(chunk))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Head, $"/v2/{repo}/blobs/{Digest([9, 9, 9])}")).StatusCode);

        // Monolithic with the right digest; a mount of a blob the registry holds needs no upload.
        var small = Encoding.UTF8.GetBytes("config");
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={Digest(small)}", small)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/v2/{repo}-copy/blobs/uploads/?mount={digest}&from={repo}")).StatusCode);
    }

    [Fact]
    public async Task Manifests_are_checked_against_their_digest_and_blobs_and_served_by_tag_and_digest()
    {
        var repo = $"team/man-{Guid.NewGuid().ToString("N")[..6]}";
        var config = Encoding.UTF8.GetBytes("{}");
        var layer = RandomNumberGenerator.GetBytes(1000);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={Digest(config)}", config)).StatusCode);
        const string MediaType = "application/vnd.oci.image.manifest.v1+json";
        byte[] Manifest(string layerDigest) => Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaType,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = Digest(config), ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = layerDigest, ["size"] = layer.Length }),
        }.ToJsonString());

        // The layer is not there yet: the manifest is refused.
        var manifest = Manifest(Digest(layer));
        var missing = await SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/v1", manifest, MediaType);
        Assert.Equal("MANIFEST_BLOB_UNKNOWN", await ErrorCodeAsync(missing));
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/v2/{repo}/manifests/v1")).StatusCode);

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={Digest(layer)}", layer)).StatusCode);

        // By a digest that is not its own: refused.
        var wrong = await SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/{Digest(config)}", manifest, MediaType);
        Assert.Equal("DIGEST_INVALID", await ErrorCodeAsync(wrong));

        var put = await SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/v1", manifest, MediaType);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(Digest(manifest), put.Headers.GetValues("Docker-Content-Digest").Single());
        foreach (var reference in new[] { "v1", Digest(manifest) })
        {
            var get = await SendAsync(HttpMethod.Get, $"/v2/{repo}/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(MediaType, get.Content.Headers.ContentType!.MediaType);
            Assert.Equal(Digest(manifest), get.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(manifest, await get.Content.ReadAsByteArrayAsync());
        }

        // By its own digest: stored, untagged.
        var second = Manifest(Digest(layer)).Concat(" "u8.ToArray()).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/{Digest(second)}", second, MediaType)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Head, $"/v2/{repo}/manifests/{Digest(second)}")).StatusCode);
        var tags = JsonNode.Parse(await (await SendAsync(HttpMethod.Get, $"/v2/{repo}/tags/list")).Content.ReadAsStringAsync())!;
        Assert.Equal(["v1"], tags["tags"]!.AsArray().Select(t => t!.GetValue<string>()));

        Assert.Equal("NAME_INVALID", await ErrorCodeAsync(await SendAsync(HttpMethod.Put, "/v2/Team/UPPER/manifests/v1", manifest, MediaType)));
        Assert.Equal("TAG_INVALID", await ErrorCodeAsync(await SendAsync(HttpMethod.Put, $"/v2/{repo}/manifests/-bad", manifest, MediaType)));
    }

    public void Dispose() => _http.Dispose();
}
