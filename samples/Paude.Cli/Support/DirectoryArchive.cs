using System.Formats.Tar;
using System.IO.Pipes;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Cli.Support;

/// <summary>
/// Moves a host directory into and out of a session through the backend's tar file channel, streaming (the
/// archive is never held whole in memory). What comes back from a session is untrusted: every entry is checked
/// and extraction goes into a fresh folder that only takes the destination's name once everything succeeded.
/// </summary>
internal static class DirectoryArchive
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF; // rwxrwxrwx: no setuid/setgid/sticky from a session

    public static async Task UploadAsync(ISessionBackend backend, SessionName session, string localDirectory, string containerDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(localDirectory))
        {
            throw new Output.CliUsageException($"The local folder '{localDirectory}' does not exist.");
        }

        // An OS pipe joins the tar writer and the backend's reader; both run at once so memory stays flat.
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var upload = backend.UploadAsync(session, containerDirectory, client, cancellationToken);
        var produce = Task.Run(
            async () =>
            {
                try
                {
                    await TarFile.CreateFromDirectoryAsync(localDirectory, server, includeBaseDirectory: false, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    server.Dispose(); // end of archive for the reader, also when writing failed
                }
            },
            cancellationToken);
        try
        {
            await upload.ConfigureAwait(false);
        }
        finally
        {
            server.Dispose(); // the producer must not block on a reader that gave up
            await produce.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await produce.ConfigureAwait(false);
    }

    public static async Task DownloadAsync(ISessionBackend backend, SessionName session, string containerDirectory, string localDirectory, CancellationToken cancellationToken)
    {
        var destination = Path.GetFullPath(localDirectory);
        if (Directory.Exists(destination) || File.Exists(destination))
        {
            throw new Output.CliUsageException($"The local path '{destination}' already exists; download into a new folder.");
        }

        var parent = Path.GetDirectoryName(destination) ?? throw new Output.CliUsageException($"'{destination}' has no parent folder.");
        if (!Directory.Exists(parent))
        {
            throw new Output.CliUsageException($"The folder '{parent}' does not exist.");
        }

        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.paude-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            await backend.DownloadAsync(session, containerDirectory, (archive, ct) => ExtractAsync(archive, staging, ct), cancellationToken).ConfigureAwait(false);
            Directory.Move(staging, destination);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    internal static async Task ExtractAsync(Stream archive, string root, CancellationToken cancellationToken)
    {
        await using var reader = new TarReader(archive, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var relative = (entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name).TrimEnd('/');
            if (relative is "" or ".")
            {
                continue; // the archive's own root
            }

            var target = SafePath(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(target, (entry.Mode & PermissionBits) | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.UserRead);
                    }

                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    await WriteFileAsync(entry, target, cancellationToken).ConfigureAwait(false);
                    break;
                case TarEntryType.SymbolicLink:
                    CreateSymlink(root, target, entry.Name, entry.LinkName);
                    break;
                case TarEntryType.HardLink:
                    var source = ResolveInside(root, entry.LinkName, entry.Name);
                    if (!File.Exists(source) || new FileInfo(source).LinkTarget is not null)
                    {
                        throw new UnsafeContentException(entry.Name, $"is a hard link to '{entry.LinkName}', which is not a file of the download");
                    }

                    File.Copy(source, target);
                    break;
                case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                    break;
                default:
                    throw new UnsafeContentException(entry.Name, $"is a {entry.EntryType} entry; only files, folders and links are accepted");
            }
        }
    }

    private static async Task WriteFileAsync(TarEntry entry, string target, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = (entry.Mode & PermissionBits) | UnixFileMode.UserWrite | UnixFileMode.UserRead;
        }

        var file = new FileStream(target, options);
        await using (file.ConfigureAwait(false))
        {
            if (entry.DataStream is { } data)
            {
                await data.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static void CreateSymlink(string root, string target, string entryName, string linkName)
    {
        // A link may point anywhere inside the download, never outside it (and never absolutely).
        if (Path.IsPathRooted(linkName))
        {
            throw new UnsafeContentException(entryName, $"is a symbolic link to the absolute path '{linkName}'");
        }

        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, linkName));
        if (!IsInside(root, resolved))
        {
            throw new UnsafeContentException(entryName, $"is a symbolic link that points outside the download ('{linkName}')");
        }

        File.CreateSymbolicLink(target, linkName);
    }

    private static string SafePath(string root, string relative)
    {
        var full = ResolveInside(root, relative, relative);

        // Writing through a symbolic link made by an earlier entry could leave the download: refuse it.
        for (var dir = Path.GetDirectoryName(full); dir is not null && IsInside(root, dir); dir = Path.GetDirectoryName(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                throw new UnsafeContentException(relative, "is written through a symbolic link");
            }
        }

        if (new FileInfo(full).LinkTarget is not null || File.Exists(full))
        {
            throw new UnsafeContentException(relative, "appears twice in the archive");
        }

        return full;
    }

    private static string ResolveInside(string root, string relative, string entryName)
    {
        if (relative.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(relative) ||
            relative.Split('/').Any(part => part == ".."))
        {
            throw new UnsafeContentException(entryName, $"escapes the destination folder ('{relative}')");
        }

        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Path.Combine(root, relative)));
        if (!IsInside(root, full))
        {
            throw new UnsafeContentException(entryName, $"escapes the destination folder ('{relative}')");
        }

        return full;
    }

    // Strictly inside: the root itself does not count.
    private static bool IsInside(string root, string path)
    {
        var r = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        return path.StartsWith(r, StringComparison.Ordinal) && path.Length > r.Length;
    }
}
