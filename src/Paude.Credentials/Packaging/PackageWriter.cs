using System.Formats.Tar;

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
                        written.Add(await WriteFileAsync(writer, e, now, ct).ConfigureAwait(false));
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

    private static async Task<CredentialManifestEntry> WriteFileAsync(TarWriter writer, PlannedEntry e, DateTimeOffset now, CancellationToken ct)
    {
        Stream source;
        var modified = now;
        if (e.Content is { } content)
        {
            source = new MemoryStream(content.ToArray(), writable: false);
        }
        else
        {
            try
            {
                source = new FileStream(e.HostPath!, new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });
                modified = File.GetLastWriteTimeUtc(e.HostPath!);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CredentialPackagingException($"Cannot read '{e.HostPath}' for the credential package: {ex.GetType().Name}.", ex);
            }
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

    private static async Task WriteGeneratedAsync(TarWriter writer, string name, byte[] data, DateTimeOffset now, CancellationToken ct)
    {
        using var stream = new MemoryStream(data, writable: false);
        await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = ManifestMode, ModificationTime = now, DataStream = stream }, ct).ConfigureAwait(false);
    }
}
