using System.Formats.Tar;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Paude.Execution;

namespace Paude.Testing.InProcess;

/// <summary>
/// The file channel of an in-process session: tar in through the same safe extractor the SDK uses for content that
/// comes back from a session (no absolute or <c>..</c> names, no links out of the folder, no devices, size limits),
/// merged into the target as <c>tar -x</c> merges; tar out streamed as the real backends stream it.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class FolderArchive
{
    /// <summary>Extracts <paramref name="archive"/> beside the target (inside <paramref name="scratch"/>), then merges it into <paramref name="target"/>.</summary>
    public static async Task ExtractIntoAsync(Stream archive, string target, string scratch, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(scratch, $".paude-upload-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");
        try
        {
            await SafeTarExtractor.ExtractAsync(archive, staging, SafeTarOptions.Default, cancellationToken).ConfigureAwait(false);
            Directory.CreateDirectory(target);
            Merge(new DirectoryInfo(staging), target);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Moves every entry of <paramref name="source"/> into <paramref name="target"/>; an entry in the way is replaced, never written through.</summary>
    private static void Merge(DirectoryInfo source, string target)
    {
        foreach (var item in source.EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(target, item.Name);
            var existing = new FileInfo(destination);
            var existingIsRealDirectory = existing.LinkTarget is null && Directory.Exists(destination);
            if (item is DirectoryInfo directory && item.LinkTarget is null && existingIsRealDirectory)
            {
                Merge(directory, destination);
                File.SetUnixFileMode(destination, directory.UnixFileMode);
                continue;
            }

            if (existing.LinkTarget is not null || existing.Exists)
            {
                existing.Delete();
            }
            else if (existingIsRealDirectory)
            {
                Directory.Delete(destination, recursive: true);
            }

            if (item is DirectoryInfo && item.LinkTarget is null)
            {
                Directory.Move(item.FullName, destination);
            }
            else
            {
                File.Move(item.FullName, destination);
            }
        }
    }

    /// <summary>Streams a tar archive of the content of <paramref name="directory"/> (relative names) to <paramref name="readArchive"/>.</summary>
    public static async Task WriteAsync(string directory, Func<Stream, CancellationToken, Task> readArchive, CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var writer = Task.Run(() => WriteTar(directory, pipe.Writer, stop.Token), CancellationToken.None);
        var reader = pipe.Reader.AsStream();
        await using (reader.ConfigureAwait(false))
        {
            try
            {
                await readArchive(reader, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // A reader that stops early must not leave the writer walking the folder.
                await stop.CancelAsync().ConfigureAwait(false);
                await pipe.Reader.CompleteAsync().ConfigureAwait(false);
                try
                {
                    await writer.ConfigureAwait(false);
                }
                catch (Exception) when (stop.IsCancellationRequested)
                {
                    // The reader's outcome is the one to report.
                }
            }
        }
    }

    private static async Task WriteTar(string directory, PipeWriter pipe, CancellationToken cancellationToken)
    {
        try
        {
            var output = pipe.AsStream(leaveOpen: true);
            await using (output.ConfigureAwait(false))
            {
                var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
                await using (tar.ConfigureAwait(false))
                {
                    Walk(tar, new DirectoryInfo(directory), string.Empty, cancellationToken);
                }
            }

            await pipe.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await pipe.CompleteAsync(e).ConfigureAwait(false);
            throw;
        }
    }

    private static void Walk(TarWriter tar, DirectoryInfo directory, string prefix, CancellationToken cancellationToken)
    {
        foreach (var item in directory.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = prefix + item.Name;
            if (item is DirectoryInfo sub && item.LinkTarget is null)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, name + "/")
                {
                    Mode = sub.UnixFileMode,
                    ModificationTime = sub.LastWriteTimeUtc,
                });
                Walk(tar, sub, name + "/", cancellationToken);
            }
            else
            {
                // Files keep mode and time, links stay links; FIFOs, sockets and devices are left out.
                DirectoryTar.WriteFileEntry(tar, item, name);
            }
        }
    }
}
