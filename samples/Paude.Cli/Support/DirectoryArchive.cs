using Paude.Execution;
using Paude.Sessions;

namespace Paude.Cli.Support;

/// <summary>
/// Moves a host directory into and out of a session with the SDK's streaming file channel
/// (<see cref="SessionFileChannelExtensions"/>). The CLI adds what a command line needs on top: clear errors for
/// bad local paths, and a download never replaces a folder that already exists.
/// </summary>
internal static class DirectoryArchive
{
    public static Task UploadAsync(ISessionBackend backend, SessionName session, string localDirectory, string containerDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(localDirectory))
        {
            throw new Output.CliUsageException($"The local folder '{localDirectory}' does not exist.");
        }

        return backend.UploadDirectoryAsync(session, localDirectory, containerDirectory, cancellationToken);
    }

    public static Task<DirectoryDownloadResult> DownloadAsync(ISessionBackend backend, SessionName session, string containerDirectory, string localDirectory, bool includeGitMetadata, CancellationToken cancellationToken)
    {
        var destination = Path.GetFullPath(localDirectory);
        if (Directory.Exists(destination) || File.Exists(destination))
        {
            // The SDK would replace it; from a command line that is too easy to do by mistake.
            throw new Output.CliUsageException($"The local path '{destination}' already exists; download into a new folder.");
        }

        var parent = Path.GetDirectoryName(destination);
        if (parent is null || !Directory.Exists(parent))
        {
            throw new Output.CliUsageException($"The folder '{parent}' does not exist.");
        }

        // The SDK extracts beside the destination and moves it into place only when every entry was safe, leaving
        // out git metadata unless asked for the raw copy.
        var options = new DirectoryDownloadOptions { IncludeGitMetadata = includeGitMetadata };
        return backend.DownloadDirectoryAsync(session, containerDirectory, destination, options, cancellationToken);
    }
}
