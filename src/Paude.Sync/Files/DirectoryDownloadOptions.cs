// The namespace of the file channel extensions these options belong to (SessionFileChannelExtensions).
namespace Paude.Execution;

/// <summary>How <see cref="SessionFileChannelExtensions.DownloadDirectoryAsync(Sessions.ISessionBackend, Sessions.SessionName, string, string, DirectoryDownloadOptions, CancellationToken)"/> copies a session folder.</summary>
public sealed record DirectoryDownloadOptions
{
    /// <summary>The safe defaults: git metadata is left out.</summary>
    public static DirectoryDownloadOptions Default { get; } = new();

    /// <summary>
    /// Whether git metadata comes along: <c>.git</c> entries (in any spelling git accepts on some file system, such
    /// as <c>.GIT</c>, <c>.git.</c> or <c>git~1</c>, file or folder) and folders laid out as a repository
    /// (<c>HEAD</c>, <c>objects/</c>, <c>refs/</c>). Default <c>false</c>: the agent inside the session is untrusted, and
    /// a <c>.git/config</c> it wrote (<c>core.fsmonitor</c>, a pager, hooks, an alias) runs its code on the host at the
    /// next <c>git status</c> or shell prompt in the downloaded folder. Bring commits back with sync, which moves git
    /// objects and never the session's config or hooks. Set it only for a raw copy you will inspect as untrusted
    /// content, never run git in.
    /// </summary>
    public bool IncludeGitMetadata { get; init; }
}
