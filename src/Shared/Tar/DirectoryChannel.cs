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
    /// extractor: the content is untrusted and lands only when the whole archive was valid.
    /// </summary>
    public static Task DownloadAsync(ISessionBackend backend, SessionName name, string containerDirectory, string localDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentException.ThrowIfNullOrEmpty(containerDirectory);
        ArgumentException.ThrowIfNullOrEmpty(localDirectory);
        return backend.DownloadAsync(
            name,
            containerDirectory,
            (stream, ct) => SafeTarExtractor.ExtractAsync(stream, localDirectory, SafeTarOptions.Default, ct),
            cancellationToken);
    }
}
