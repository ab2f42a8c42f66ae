using Paude.Sessions;

// The namespace of the file channel contract (ISessionBackend.UploadAsync/DownloadAsync) it builds on: code written
// against it keeps its usings; the tar writer and safe extractor behind it are internal to this package.
namespace Paude.Execution;

/// <summary>Directory-level file channel on top of <see cref="ISessionBackend"/>'s tar streams.</summary>
public static class SessionFileChannelExtensions
{
    /// <summary>
    /// Uploads the content of <paramref name="localDirectory"/> into <paramref name="containerDirectory"/> of the
    /// session as a streamed tar archive (never held whole in memory): modes, symlinks and empty folders are kept.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="localDirectory"/> does not exist.</exception>
    public static Task UploadDirectoryAsync(this ISessionBackend backend, SessionName name, string localDirectory, string containerDirectory, CancellationToken cancellationToken = default)
        => DirectoryChannel.UploadAsync(backend, name, localDirectory, containerDirectory, exclude: null, cancellationToken);

    /// <summary>
    /// Uploads the content of <paramref name="localDirectory"/>, leaving out every relative path ('/'-separated)
    /// for which <paramref name="exclude"/> returns <c>true</c> (an excluded folder leaves out its subtree).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="localDirectory"/> does not exist.</exception>
    public static Task UploadDirectoryAsync(this ISessionBackend backend, SessionName name, string localDirectory, string containerDirectory, Func<string, bool>? exclude, CancellationToken cancellationToken = default)
        => DirectoryChannel.UploadAsync(backend, name, localDirectory, containerDirectory, exclude, cancellationToken);

    /// <summary>
    /// Downloads <paramref name="containerDirectory"/> of the session into <paramref name="localDirectory"/>.
    /// The content is untrusted: path escapes, links out of the folder, devices and absurd sizes are refused
    /// with <see cref="Errors.UnsafeContentException"/>, and git metadata is left out (see
    /// <see cref="DirectoryDownloadOptions.IncludeGitMetadata"/>). The archive is extracted beside the target and
    /// moved into place only when it was entirely valid; on success <paramref name="localDirectory"/> holds exactly
    /// the downloaded content (an existing folder is replaced).
    /// </summary>
    public static Task DownloadDirectoryAsync(this ISessionBackend backend, SessionName name, string containerDirectory, string localDirectory, CancellationToken cancellationToken = default)
        => DownloadDirectoryAsync(backend, name, containerDirectory, localDirectory, DirectoryDownloadOptions.Default, cancellationToken);

    /// <summary>
    /// Downloads <paramref name="containerDirectory"/> of the session into <paramref name="localDirectory"/> as
    /// <see cref="DownloadDirectoryAsync(ISessionBackend, SessionName, string, string, CancellationToken)"/> does,
    /// with <paramref name="options"/>, and says what was left out. Git metadata is removed beside the target,
    /// before the move, so <paramref name="localDirectory"/> never holds it even for a moment.
    /// </summary>
    public static async Task<DirectoryDownloadResult> DownloadDirectoryAsync(this ISessionBackend backend, SessionName name, string containerDirectory, string localDirectory, DirectoryDownloadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var leftOut = await DirectoryChannel.DownloadAsync(backend, name, containerDirectory, localDirectory, options.IncludeGitMetadata, cancellationToken).ConfigureAwait(false);
        return new DirectoryDownloadResult { LeftOut = leftOut };
    }
}
