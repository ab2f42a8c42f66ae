namespace Paude.Sync.Continuous.Helper;

/// <summary>Kind of an entry listed by the helper.</summary>
internal enum HelperEntryKind : byte { File = 1, Directory = 2, Symlink = 3, Other = 4 }

/// <summary>One listed entry; <see cref="Hash"/> (XXH3-128) for files when asked, <see cref="LinkTarget"/> for links (never followed).</summary>
internal sealed record HelperEntry(HelperEntryKind Kind, string Path, long Size, long MTimeNs, int Mode, byte[]? Hash, string? LinkTarget);

/// <summary>A file's metadata after a read.</summary>
internal sealed record HelperFileInfo(long Size, long MTimeNs, int Mode, byte[] Hash);

/// <summary>Kind of a watch event.</summary>
internal enum HelperChangeKind : byte { Created = 1, Modified = 2, Deleted = 3, MovedFrom = 4, MovedTo = 5, Overflow = 255 }

/// <summary>One change in the session's workspace; <see cref="HelperChangeKind.Overflow"/> means "events were lost: list again".</summary>
internal sealed record HelperChange(HelperChangeKind Kind, bool IsDirectory, string Path);

/// <summary>What a git command printed.</summary>
internal sealed record HelperGitResult(int ExitCode, byte[] StandardOutput, bool Truncated, byte[] StandardError);

/// <summary>Conditions of a write.</summary>
internal sealed record HelperWriteOptions
{
    public bool CreateParents { get; init; } = true;
    public bool IfAbsent { get; init; }
    /// <summary>Replace only a file with exactly this content hash (compare-and-swap against a concurrent agent edit).</summary>
    public byte[]? IfMatch { get; init; }
    public long? MTimeNs { get; init; }
    public int Mode { get; init; } = 0x1A4; // 0644
}
