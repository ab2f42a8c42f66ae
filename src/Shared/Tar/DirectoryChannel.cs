using Paude.Sessions;

namespace Paude.Execution;

// Shared source (src/Shared): compiled as an internal type into Paude.Sync (behind its public
// SessionFileChannelExtensions) and Paude.Testing.Conformance (which must not pull Paude.Sync and libgit2 into a
// third-party backend's tests).
/// <summary>A whole host folder through <see cref="ISessionBackend"/>'s tar streams, both ways.</summary>
internal static class DirectoryChannel
{
    /// <summary>
    /// Streams <paramref name="localDirectory"/> (minus what <paramref name="exclude"/> names) as a tar archive into
    /// <paramref name="containerDirectory"/>; the archive is written while it is sent, never held whole.
    /// </summary>
    public static async Task UploadAsync(ISessionBackend backend, SessionName name, string localDirectory, string containerDirectory, Func<string, bool>? exclude, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(containerDirectory);
        using var writerCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var archive = DirectoryTar.OpenRead(localDirectory, exclude, writerCancellation.Token);
        await using (archive.ConfigureAwait(false))
        {
            try
            {
                await backend.UploadAsync(name, containerDirectory, archive, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // When the upload stops early the background writer must not keep reading the folder.
                await writerCancellation.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Downloads <paramref name="containerDirectory"/> into <paramref name="localDirectory"/> through the safe
    /// extractor: the content is untrusted and lands only when the whole archive was valid. Unless
    /// <paramref name="includeGitMetadata"/> is set, git metadata (<see cref="GitMetadata"/>) is removed from the
    /// staging folder before the move, so the target never holds it.
    /// </summary>
    /// <returns>The top-most relative paths left out as git metadata.</returns>
    public static async Task<IReadOnlyList<string>> DownloadAsync(ISessionBackend backend, SessionName name, string containerDirectory, string localDirectory, bool includeGitMetadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(containerDirectory);
        ArgumentException.ThrowIfNullOrEmpty(localDirectory);
        var options = SafeTarOptions.Default with { LeaveOutGitMetadata = !includeGitMetadata };
        IReadOnlyList<string> leftOut = [];
        await backend.DownloadAsync(
            name,
            containerDirectory,
            async (stream, ct) => leftOut = await SafeTarExtractor.ExtractAsync(stream, localDirectory, options, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        return leftOut;
    }
}
