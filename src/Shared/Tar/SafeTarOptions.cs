namespace Paude.Execution;

/// <summary>Limits for <see cref="SafeTarExtractor"/>; content from a session is untrusted, so everything is bounded.</summary>
internal sealed record SafeTarOptions
{
    /// <summary>The defaults: 4 GiB per entry, 16 GiB in total, one million entries.</summary>
    public static SafeTarOptions Default { get; } = new();

    /// <summary>The largest single file accepted.</summary>
    public long MaxEntryBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>The largest total of file contents accepted.</summary>
    public long MaxTotalBytes { get; init; } = 16L * 1024 * 1024 * 1024;

    /// <summary>The most entries accepted.</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>
    /// Whether git metadata (<see cref="GitMetadata"/>) is removed from the staging folder before it is moved into
    /// place, so the target never holds it even for a moment.
    /// </summary>
    public bool LeaveOutGitMetadata { get; init; }
}
