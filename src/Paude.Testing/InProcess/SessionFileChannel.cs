using Paude.Errors;
using Paude.Sessions;

namespace Paude.Testing.InProcess;

/// <summary>
/// The file channel of in-process sessions: paths are resolved inside a running session's folder under the table's
/// lock; the archive is read or written outside it (<see cref="FolderArchive"/>), so a slow stream blocks nobody.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class SessionFileChannel(SessionTable sessions)
{
    public async Task UploadAsync(SessionName name, string containerDirectory, Stream tarArchive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tarArchive);
        var (scratch, target) = sessions.FindRunning(name, s => (s.Folder.Root, s.Folder.Resolve(containerDirectory, nameof(containerDirectory))));
        await FolderArchive.ExtractIntoAsync(tarArchive, target, scratch, cancellationToken).ConfigureAwait(false);
    }

    /// <exception cref="BackendOperationException">The path is not a directory.</exception>
    public async Task DownloadAsync(SessionName name, string containerDirectory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readArchive);
        var source = sessions.FindRunning(name, s => s.Folder.Resolve(containerDirectory, nameof(containerDirectory)));
        if (!Directory.Exists(source))
        {
            throw new BackendOperationException($"Archiving '{containerDirectory}' in session '{name.Value}' failed: it is not a directory.");
        }

        await FolderArchive.WriteAsync(source, readArchive, cancellationToken).ConfigureAwait(false);
    }
}
