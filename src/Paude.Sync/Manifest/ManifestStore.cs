using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Paude.Sync.Manifest;

/// <summary>
/// Where a workspace's sync state lives (<c>.git/paude/</c> in a git repository, else a folder under the user's
/// state directory keyed by the workspace path), with an inter-process lock and atomic writes.
/// </summary>
internal sealed class ManifestStore
{
    private ManifestStore(string directory) => Directory = directory;

    /// <summary>The state folder (manifest, lock, journal).</summary>
    public string Directory { get; }

    public string ManifestPath => Path.Combine(Directory, "sync-manifest.json");

    public string LockPath => Path.Combine(Directory, "sync.lock");

    public static ManifestStore For(string workspace, string? gitDirectory)
    {
        if (gitDirectory is not null)
        {
            return new ManifestStore(Path.Combine(gitDirectory, "paude"));
        }

        // A non-git workspace gets its state outside itself, so the state is never synced or deleted with the files.
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome))
        {
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(workspace))))[..24];
        return new ManifestStore(Path.Combine(stateHome, "paude", "sync", key));
    }

    /// <summary>
    /// Takes the workspace's sync lock: a lock file opened with <see cref="FileShare.None"/> (an OS-level lock, so it
    /// also excludes other processes, and the OS releases it when a process dies). Retries until
    /// <paramref name="timeout"/>.
    /// </summary>
    public async Task<IDisposable> LockAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var started = time.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (time.GetElapsedTime(started) < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                throw new SyncLockedException(LockPath, timeout);
            }
        }
    }

    public SyncManifest Read()
    {
        if (!File.Exists(ManifestPath))
        {
            return new SyncManifest();
        }

        try
        {
            var manifest = JsonSerializer.Deserialize(File.ReadAllText(ManifestPath), SyncJson.Default.SyncManifest);

            // JSON nulls bypass the non-null defaults ("Sessions": null, "Files": null; found by fuzzing) and would fail
            // later with a NullReferenceException: such a manifest counts as damaged too.
            return manifest?.Sessions is { } sessions && sessions.Values.All(r => r is { Files: not null, Uploaded: not null } && !r.Files.ContainsValue(null!) && !r.Uploaded.ContainsValue(null!))
                ? manifest
                : new SyncManifest();
        }
        catch (JsonException)
        {
            // A damaged manifest only costs base information: every file then counts as "no base" (conservative:
            // differences become conflicts, deletions are not propagated).
            return new SyncManifest();
        }
    }

    /// <summary>Writes the manifest atomically: a temp file in the same folder, flushed, then renamed over the old one.</summary>
    public void Write(SyncManifest manifest)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temp = Path.Combine(Directory, $".sync-manifest.{Guid.NewGuid():N}.tmp");
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            JsonSerializer.Serialize(stream, manifest, SyncJson.Default.SyncManifest);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, ManifestPath, overwrite: true);
    }
}
