using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Paude.Testing.Kubernetes.Registry;

/// <summary>
/// What the test registry holds: content-addressed blobs (layers, configs and manifests alike, as files named by their
/// sha256), uploads in progress (appended chunk by chunk, hashed as they arrive), and per repository its manifests'
/// media types and its tags. Nothing enters the blob store unless its bytes hash to the digest it is stored under.
/// </summary>
internal sealed partial class RegistryStorage
{
    private readonly string _blobs;
    private readonly string _uploads;
    private readonly ConcurrentDictionary<string, Upload> _inProgress = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Repository, string Digest), string> _manifests = new();
    private readonly ConcurrentDictionary<(string Repository, string Tag), string> _tags = new();

    public RegistryStorage(string root)
    {
        _blobs = Directory.CreateDirectory(Path.Combine(root, "blobs", "sha256")).FullName;
        _uploads = Directory.CreateDirectory(Path.Combine(root, "uploads")).FullName;
    }

    /// <summary>OCI distribution's repository name rule.</summary>
    public static bool ValidRepository(string name) => name.Length <= 255 && RepositoryRule().IsMatch(name);

    /// <summary>OCI distribution's tag rule.</summary>
    public static bool ValidTag(string tag) => TagRule().IsMatch(tag);

    /// <summary>The hex of a <c>sha256:</c> digest, or null for anything else (other algorithms are not served).</summary>
    public static string? Sha256Hex(string digest) =>
        digest.StartsWith("sha256:", StringComparison.Ordinal) && HexRule().IsMatch(digest[7..]) ? digest[7..] : null;

    public string? BlobPath(string digest) =>
        Sha256Hex(digest) is { } hex && File.Exists(Path.Combine(_blobs, hex)) ? Path.Combine(_blobs, hex) : null;

    public string StartUpload()
    {
        var id = Guid.NewGuid().ToString("N");
        _inProgress[id] = new Upload(Path.Combine(_uploads, id));
        return id;
    }

    public Upload? FindUpload(string id) => _inProgress.TryGetValue(id, out var upload) ? upload : null;

    public void CancelUpload(string id)
    {
        if (_inProgress.TryRemove(id, out var upload))
        {
            upload.Dispose();
            File.Delete(upload.Path);
        }
    }

    /// <summary>
    /// Ends an upload: its bytes must hash to <paramref name="digest"/>; then they become that blob. On a mismatch the
    /// upload is dropped and nothing is stored.
    /// </summary>
    public bool CompleteUpload(string id, string digest)
    {
        if (!_inProgress.TryRemove(id, out var upload))
        {
            return false;
        }

        var actual = upload.Finish();
        if (Sha256Hex(digest) is not { } hex || !string.Equals(actual, hex, StringComparison.Ordinal))
        {
            File.Delete(upload.Path);
            return false;
        }

        File.Move(upload.Path, Path.Combine(_blobs, hex), overwrite: true);
        return true;
    }

    /// <summary>Stores a manifest's bytes as a blob under its own digest, records its media type and, given one, the tag.</summary>
    public string PutManifest(string repository, byte[] body, string mediaType, string? tag)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(body));
        var path = Path.Combine(_blobs, hex);
        var temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, body);
        File.Move(temp, path, overwrite: true);
        var digest = "sha256:" + hex;
        _manifests[(repository, digest)] = mediaType;
        if (tag is not null)
        {
            _tags[(repository, tag)] = digest;
        }

        return digest;
    }

    /// <summary>The digest and media type of a manifest by tag or digest, or null when the repository has none such.</summary>
    public (string Digest, string MediaType, string Path)? FindManifest(string repository, string reference)
    {
        var digest = reference.Contains(':', StringComparison.Ordinal) ? reference : _tags.GetValueOrDefault((repository, reference));
        return digest is not null && _manifests.TryGetValue((repository, digest), out var mediaType) && BlobPath(digest) is { } path
            ? (digest, mediaType, path)
            : null;
    }

    public bool HasManifest(string repository, string digest) => _manifests.ContainsKey((repository, digest));

    public IReadOnlyList<string> Tags(string repository) =>
        _tags.Keys.Where(k => k.Repository == repository).Select(k => k.Tag).Order(StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Repositories() =>
        _manifests.Keys.Select(k => k.Repository).Distinct().Order(StringComparer.Ordinal).ToList();

    [GeneratedRegex(@"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryRule();

    [GeneratedRegex("^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")]
    private static partial Regex TagRule();

    [GeneratedRegex("^[a-f0-9]{64}$")]
    private static partial Regex HexRule();

    /// <summary>One blob upload: the bytes so far on disk and their running hash (chunks arrive in order, one at a time).</summary>
    internal sealed class Upload(string path) : IDisposable
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly SemaphoreSlim _gate = new(1, 1);

        public string Path { get; } = path;

        public long Length { get; private set; }

        /// <summary>Appends a chunk; refused (false) when it does not start where the upload ends (<c>Content-Range</c>).</summary>
        public async Task<bool> AppendAsync(Stream body, long? start, CancellationToken ct)
        {
            await _gate.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (start is { } s && s != Length)
                {
                    return false;
                }

                await using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    _hash.AppendData(buffer, 0, read);
                    Length += read;
                }

                return true;
            }
            finally
            {
                _gate.Release();
            }
        }

        public string Finish()
        {
            if (!File.Exists(Path))
            {
                File.WriteAllBytes(Path, []);
            }

            var hex = Convert.ToHexStringLower(_hash.GetHashAndReset());
            Dispose();
            return hex;
        }

        public void Dispose()
        {
            _hash.Dispose();
            _gate.Dispose();
        }
    }
}
