using System.Formats.Tar;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Paude.Execution;

namespace Paude.Credentials.Packaging;

/// <summary>
/// Streams planned entries into a PAX tar archive: one file open at a time, each read once while it is hashed,
/// and the manifests appended last (their hashes are only known then). Nothing is buffered beyond the tar
/// writer's block and one generated file.
/// </summary>
internal static class PackageWriter
{
    private const UnixFileMode ManifestMode = (UnixFileMode)0x1A4; // 0644

    public static async Task<CredentialManifest> WriteAsync(
        IReadOnlyList<PlannedEntry> entries, IReadOnlyList<string> sources, Stream destination, DateTimeOffset now, CancellationToken ct)
    {
        var written = new List<CredentialManifestEntry>(entries.Count);
        var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        await using (writer.ConfigureAwait(false))
        {
            foreach (var e in entries)
            {
                ct.ThrowIfCancellationRequested();
                switch (e.Kind)
                {
                    case CredentialEntryKind.Directory:
                        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, e.Path + "/") { Mode = e.Mode, ModificationTime = now }, ct).ConfigureAwait(false);
                        written.Add(new CredentialManifestEntry(e.Path, e.Kind, 0, e.Mode, null, false, null, e.Source));
                        break;
                    case CredentialEntryKind.Symlink:
                        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, e.Path) { LinkName = e.LinkTarget!, Mode = e.Mode, ModificationTime = now }, ct).ConfigureAwait(false);
                        written.Add(new CredentialManifestEntry(e.Path, e.Kind, 0, e.Mode, null, false, e.LinkTarget, e.Source));
                        break;
                    default:
                        if (await WriteFileAsync(writer, e, now, ct).ConfigureAwait(false) is { } file)
                        {
                            written.Add(file);
                        }

                        break;
                }
            }

            var manifest = new CredentialManifest(sources, written);
            await WriteGeneratedAsync(writer, CredentialManifest.Sha256FileName, ManifestFormat.Sha256Lines(manifest), now, ct).ConfigureAwait(false);
            await WriteGeneratedAsync(writer, CredentialManifest.EntriesFileName, ManifestFormat.EntryLines(manifest), now, ct).ConfigureAwait(false);
            await WriteGeneratedAsync(writer, CredentialManifest.JsonFileName, ManifestFormat.Json(manifest), now, ct).ConfigureAwait(false);
            return manifest;
        }
    }

    private static async Task<CredentialManifestEntry?> WriteFileAsync(TarWriter writer, PlannedEntry e, DateTimeOffset now, CancellationToken ct)
    {
        Stream source;
        var modified = now;
        if (e.Content is { } content)
        {
            source = new MemoryStream(content.ToArray(), writable: false);
        }
        else
        {
            var opened = OpenRegularFile(e.HostPath!);
            if (opened is null)
            {
                return null;
            }

            source = opened;
            modified = File.GetLastWriteTimeUtc(e.HostPath!);
        }

        await using (source.ConfigureAwait(false))
        {
            var hashing = new HashingReadStream(source, source.Length, e.HostPath ?? e.Path);
            await using (hashing.ConfigureAwait(false))
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, e.Path) { Mode = e.Mode, ModificationTime = modified, DataStream = hashing };
                await writer.WriteEntryAsync(entry, ct).ConfigureAwait(false);
                if (hashing.Position != hashing.Length)
                {
                    throw new CredentialPackagingException($"'{e.HostPath ?? e.Path}' was not archived completely.");
                }

                return new CredentialManifestEntry(e.Path, CredentialEntryKind.File, hashing.Length, e.Mode, hashing.HashHex(), e.Secret, null, e.Source);
            }
        }
    }

    /// <summary>
    /// Opens a host file, or returns <c>null</c> for FIFOs and sockets (no content; a plain open of a FIFO would
    /// block): the file is opened non-blocking through libc and kept only when seekable, as <c>DirectoryTar</c> does.
    /// </summary>
    private static FileStream? OpenRegularFile(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Open(() => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan), path);
        }

        var fd = NativeMethods.open(path, NativeMethods.ReadOnlyNonBlocking);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == 6 ? null : throw new CredentialPackagingException($"Cannot read '{path}' for the credential package (errno {errno}).");
        }

        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 0);
        if (stream.CanSeek)
        {
            return stream;
        }

        stream.Dispose();
        return null;
    }

    private static FileStream Open(Func<FileStream> open, string path)
    {
        try
        {
            return open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CredentialPackagingException($"Cannot read '{path}' for the credential package: {ex.GetType().Name}.", ex);
        }
    }

    private static async Task WriteGeneratedAsync(TarWriter writer, string name, byte[] data, DateTimeOffset now, CancellationToken ct)
    {
        using var stream = new MemoryStream(data, writable: false);
        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = ManifestMode, ModificationTime = now, DataStream = stream }, ct).ConfigureAwait(false);
    }
}
