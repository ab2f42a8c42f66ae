namespace Paude.Sync;

/// <summary>What a sync did (or, for a dry run, would do).</summary>
public sealed record SyncResult
{
    /// <summary>The strategy used.</summary>
    public required SyncStrategy Strategy { get; init; }

    /// <summary>The direction used.</summary>
    public required SyncDirection Direction { get; init; }

    /// <summary>Whether this was a dry run (nothing was changed).</summary>
    public bool DryRun { get; init; }

    /// <summary>Relative paths (with '/') of files written or (to be) replaced on the target side.</summary>
    public IReadOnlyList<string> FilesChanged { get; init; } = [];

    /// <summary>Relative paths of files deleted (or to be deleted) on the target side.</summary>
    public IReadOnlyList<string> FilesDeleted { get; init; } = [];

    /// <summary>Bytes of file content and git pack data that crossed the channel.</summary>
    public long BytesMoved { get; init; }

    /// <summary>Commits that arrived on the target side and were not there before.</summary>
    public int CommitsTransferred { get; init; }

    /// <summary>Refs created or moved (full names, e.g. <c>refs/heads/paude/my-session</c>).</summary>
    public IReadOnlyList<string> RefsWritten { get; init; } = [];

    /// <summary>Paths changed on both sides (left alone), or paths of an aborted merge.</summary>
    public IReadOnlyList<string> Conflicts { get; init; } = [];

    /// <summary>Backup refs written to keep work that would otherwise have become unreachable.</summary>
    public IReadOnlyList<string> BackupRefs { get; init; } = [];

    /// <summary>Things the user should know (e.g. "the session has uncommitted changes that were not synced").</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The commit the target branch points at afterwards, when git was involved.</summary>
    public string? Commit { get; init; }
}
