namespace Paude.Execution;

/// <summary>What a folder download left out.</summary>
public sealed record DirectoryDownloadResult
{
    /// <summary>
    /// Relative paths ('/'-separated, ordinal order) of the git metadata left out, top-most only: a left-out folder
    /// stands for its whole subtree. Empty when nothing was left out or <see cref="DirectoryDownloadOptions.IncludeGitMetadata"/> was set.
    /// </summary>
    public IReadOnlyList<string> LeftOut { get; init; } = [];
}
