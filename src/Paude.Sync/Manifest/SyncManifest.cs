using System.Text.Json.Serialization;

namespace Paude.Sync.Manifest;

/// <summary>The local record of past syncs of one workspace (per session), stored as JSON.</summary>
internal sealed record SyncManifest
{
    public int Version { get; init; } = 1;

    public Dictionary<string, SessionSyncRecord> Sessions { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>The last sync with one session.</summary>
internal sealed record SessionSyncRecord
{
    public DateTimeOffset LastSync { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<SyncDirection>))]
    public SyncDirection Direction { get; init; }

    [JsonConverter(typeof(JsonStringEnumConverter<SyncStrategy>))]
    public SyncStrategy Strategy { get; init; }

    /// <summary>
    /// The folder in the session this record is about. A sync with another folder of the same session starts as if
    /// never synced (its base would describe a different tree). <c>null</c> in records written before it was kept:
    /// taken to be the folder of the next sync.
    /// </summary>
    public string? SessionWorkspace { get; init; }

    /// <summary>The commit both sides had after the sync (git workspaces).</summary>
    public string? Commit { get; init; }

    /// <summary>
    /// File-level base for three-way decisions: relative path → SHA-256 of the content both sides had after the
    /// last file-level sync.
    /// </summary>
    public Dictionary<string, string> Files { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Marks, in <see cref="Uploaded"/>, a committed file the push deleted in the session.</summary>
    public const string Deleted = "-";

    /// <summary>
    /// Uncommitted files pushed to the session by the last git push (path → SHA-256, or <see cref="Deleted"/>), so a
    /// later push knows they are ours and what the session holds without asking it.
    /// </summary>
    public Dictionary<string, string> Uploaded { get; init; } = new(StringComparer.Ordinal);
}
