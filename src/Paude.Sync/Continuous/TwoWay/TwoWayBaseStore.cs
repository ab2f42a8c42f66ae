using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Paude.Sync.Manifest;

namespace Paude.Sync.Continuous.TwoWay;

/// <summary>What two-way sync keeps between runs: the last agreement per file (the base) and the conflicts left open.</summary>
internal sealed record TwoWayBase
{
    public int Version { get; init; } = 1;

    /// <summary>
    /// When the session was created (its <see cref="Sessions.SessionInfo.CreatedAt"/>): a session deleted and created
    /// again under the same name is another session, and a base that describes the old one would turn its missing
    /// files into "deleted in the session" — such a base is not used.
    /// </summary>
    public DateTimeOffset? SessionCreatedAt { get; init; }

    /// <summary>Relative path → XXH3-128 (hex) of the content both sides had.</summary>
    public Dictionary<string, string> Agreed { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Relative path → the two versions (hex, or <c>null</c> for no file) a still-open conflict was reported with.</summary>
    public Dictionary<string, HeldVersions> Held { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>The stored form of a <see cref="HeldConflict"/>.</summary>
internal sealed record HeldVersions(string? Local, string? Session);

/// <summary>
/// Where two-way sync keeps its <see cref="TwoWayBase"/>: one JSON file per (workspace, backend, session, session
/// folder) in the session's state folder (<see cref="Sessions.SessionStateFolder"/>:
/// <c>$XDG_STATE_HOME/paude/sessions/&lt;backend&gt;/&lt;session&gt;/two-way/</c>), which the backends remove when the
/// session is deleted — never in the workspace, so it is neither synced nor deleted with the files. A base in the
/// older place (<c>$XDG_STATE_HOME/paude/two-way/</c>, kept for no session in particular) is read when there is none
/// yet and removed once the new one is written. Written atomically (a temp file in the
/// same folder, flushed to disk, renamed over the old one): a crash leaves the old base or the new one, never half of
/// one. An old base is safe: a file both sides changed the same way since is in agreement, any other difference a
/// conflict. A damaged or foreign file is read as no base (every difference then counts as a conflict, the behaviour
/// before a base was kept).
/// </summary>
internal sealed class TwoWayBaseStore
{
    private readonly string? _legacyPath;
    private string? _written;

    private TwoWayBaseStore(string path, string? legacyPath) => (FilePath, _legacyPath) = (path, legacyPath);

    /// <summary>The base file.</summary>
    public string FilePath { get; }

    public static TwoWayBaseStore For(string root, string backend, string session, string sessionWorkspace, string? stateDirectory = null)
    {
        var file = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', root, backend, session, sessionWorkspace))))[..32] + ".json";
        return stateDirectory is not null
            ? new TwoWayBaseStore(Path.Combine(stateDirectory, file), null)
            : new TwoWayBaseStore(Path.Combine(Sessions.SessionStateFolder.Of(backend, Sessions.SessionName.Parse(session)), "two-way", file), Path.Combine(LegacyDirectory(), file));
    }

    /// <summary>The base of the previous run, or an empty one (none, damaged, or of another session of that name).</summary>
    public TwoWayBase Read(DateTimeOffset? sessionCreatedAt)
    {
        try
        {
            bool legacy = _legacyPath is not null && !File.Exists(FilePath) && File.Exists(_legacyPath);
            var text = File.ReadAllText(legacy ? _legacyPath! : FilePath);
            _written = legacy ? null : text; // a base read from the older place is written to the new one
            var stored = JsonSerializer.Deserialize(text, SyncJson.Default.TwoWayBase);
            if (stored is { Version: 1, Agreed: { } agreed, Held: { } held } && stored.SessionCreatedAt == sessionCreatedAt
                && agreed.All(kv => IsHash(kv.Value)) && held.All(kv => kv.Value is { } v && IsHashOrNull(v.Local) && IsHashOrNull(v.Session)))
            {
                return stored;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // No base (first run), unreadable or damaged: start without one.
        }

        return new TwoWayBase { SessionCreatedAt = sessionCreatedAt };
    }

    /// <summary>Writes <paramref name="state"/> atomically, unless it is what was last written.</summary>
    public void Write(TwoWayBase state)
    {
        var text = JsonSerializer.Serialize(state, SyncJson.Default.TwoWayBase);
        if (text == _written) return;
        var directory = Path.GetDirectoryName(FilePath)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileNameWithoutExtension(FilePath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
            _written = text;
            if (_legacyPath is not null) File.Delete(_legacyPath);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Where bases were kept before they moved into the session's state folder.</summary>
    private static string LegacyDirectory()
    {
        var stateHome = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(stateHome))
        {
            stateHome = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }

        return Path.Combine(stateHome, "paude", "two-way");
    }

    private static bool IsHash(string? hex) => hex is { Length: 32 } && hex.All(char.IsAsciiHexDigitLower);

    private static bool IsHashOrNull(string? hex) => hex is null || IsHash(hex);
}
