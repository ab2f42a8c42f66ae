using System.Formats.Tar;

namespace Paude.Execution;

/// <summary>
/// The tar helpers the built-in backends and Paude.Sync use on the file channel, for any backend or tool: extracting
/// an archive that came from a session (hostile content: links out of the folder, devices, absolute or <c>..</c>
/// paths and archives over the size and entry limits are refused with <see cref="Errors.UnsafeContentException"/>), and writing one entry
/// of a host file without following links or blocking on FIFOs.
/// </summary>
public static class SessionArchive
{
    /// <summary>Extracts the tar stream <paramref name="archive"/> (from a session) into <paramref name="destination"/>, refusing unsafe content.</summary>
    /// <param name="archive">The tar stream; read to its end.</param>
    /// <param name="destination">The host folder to extract into (created when missing).</param>
    /// <param name="cancellationToken">Cancels the extraction.</param>
    /// <returns>A task that completes when the archive is extracted.</returns>
    public static Task ExtractAsync(Stream archive, string destination, CancellationToken cancellationToken = default)
        => SafeTarExtractor.ExtractAsync(archive, destination, SafeTarOptions.Default, cancellationToken);

    /// <summary>
    /// Writes the entry of a symbolic link (kept as a link, never followed) or a regular file (its mode and time);
    /// returns <c>false</c>, writing nothing, for anything else: a directory, a FIFO, a socket, a device or a path
    /// gone since it was listed.
    /// </summary>
    /// <param name="writer">The tar writer.</param>
    /// <param name="item">The host file or link.</param>
    /// <param name="name">The entry name in the archive.</param>
    /// <returns>Whether an entry was written.</returns>
    public static bool WriteEntry(TarWriter writer, FileSystemInfo item, string name)
        => DirectoryTar.WriteFileEntry(writer, item, name);
}
