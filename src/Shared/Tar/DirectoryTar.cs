using System.Formats.Tar;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Paude.Execution;

/// <summary>
/// Streams a local directory into a tar archive: GNU format (long names via LongLink entries only when needed, UTF-8 names; no per-entry extended header, which PAX would add), deterministic order
/// (ordinal by name, parents before children), file modes kept (exec bits), symlinks kept as symlinks, empty
/// directories included. Names are relative to the directory, '/'-separated, without a leading "./".
/// </summary>
internal static class DirectoryTar
{
    /// <summary>The writer hands the archive on in chunks of this size (fewer wake-ups and pipe writes).</summary>
    internal const int ChunkSize = 256 * 1024;

    private const UnixFileMode PermissionBits =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// Returns a stream that reads the archive of <paramref name="directory"/> while it is being written by a
    /// background thread, so the archive is never held whole in memory. Errors of the writer surface on the reader;
    /// disposing the reader stops the writer. <c>CopyToAsync</c> writes the archive straight into the destination.
    /// </summary>
    /// <param name="directory">The directory to archive (must exist).</param>
    /// <param name="exclude">Returns <c>true</c> for relative paths (no trailing '/') to leave out; an excluded directory leaves out its subtree.</param>
    /// <param name="cancellationToken">Stops the writer.</param>
    public static Stream OpenRead(string directory, Func<string, bool>? exclude = null, CancellationToken cancellationToken = default)
    {
        EnsureDirectory(directory);
        return new DirectoryTarStream(directory, exclude, cancellationToken);
    }

    /// <summary>The archive through a bounded in-process pipe fed by a writer thread (the read path of <see cref="OpenRead"/>).</summary>
    internal static Stream OpenPipe(string directory, Func<string, bool>? exclude, CancellationToken cancellationToken)
    {
        // 1 MiB of back-pressure keeps memory flat while letting the writer run ahead of the consumer a bit; 64 KiB
        // segments keep the pipe's per-segment work small for the big chunks the writer hands over.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1024 * 1024, resumeWriterThreshold: 512 * 1024, minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));

        // A dedicated thread with synchronous I/O: on Linux, async file reads are thread-pool hops (one per read of
        // each of thousands of small files), which made the archive cost ~2x GNU tar's CPU (measured, issue 2).
        _ = Task.Factory.StartNew(
            () =>
            {
                try
                {
                    using (var writerStream = new BufferedStream(pipe.Writer.AsStream(leaveOpen: true), ChunkSize))
                    {
                        Write(directory, writerStream, exclude, cancellationToken);
                    }

                    pipe.Writer.Complete();
                }
#pragma warning disable CA1031 // Every writer failure is handed to the reader, which rethrows it.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    pipe.Writer.Complete(ex);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        return pipe.Reader.AsStream();
    }

    /// <summary>Writes the archive of <paramref name="directory"/> into <paramref name="destination"/> (left open), synchronously.</summary>
    public static void Write(string directory, Stream destination, Func<string, bool>? exclude = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        EnsureDirectory(directory);
        using var writer = new TarWriter(destination, TarEntryFormat.Gnu, leaveOpen: true);
        WriteDirectory(writer, new DirectoryInfo(directory), string.Empty, exclude, cancellationToken);
    }

    private static void WriteDirectory(TarWriter writer, DirectoryInfo dir, string prefix, Func<string, bool>? exclude, CancellationToken ct)
    {
        var children = dir.EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        foreach (var child in children)
        {
            ct.ThrowIfCancellationRequested();
            var relative = prefix + child.Name;
            if (exclude?.Invoke(relative) == true)
            {
                continue;
            }

            if (child is DirectoryInfo sub && ((child.Attributes & FileAttributes.ReparsePoint) == 0 || child.LinkTarget is null))
            {
                var entry = new GnuTarEntry(TarEntryType.Directory, relative + "/")
                {
                    Mode = sub.UnixFileMode & PermissionBits,
                    ModificationTime = sub.LastWriteTimeUtc,
                };
                writer.WriteEntry(entry);
                WriteDirectory(writer, sub, relative + "/", exclude, ct);
            }
            else
            {
                // Sockets, FIFOs and devices are skipped: they have no content to transfer and opening a FIFO blocks.
                WriteFileEntry(writer, child, relative);
            }
        }
    }

    /// <summary>
    /// Writes the entry of a symbolic link (kept as a link, never followed) or a regular file (its mode and time);
    /// returns <c>false</c>, writing nothing, for anything else — a directory, a FIFO, a socket, a device or nothing
    /// at all (gone since it was listed).
    /// </summary>
    internal static bool WriteFileEntry(TarWriter writer, FileSystemInfo info, string name)
    {
        // The attribute comes from the enumeration's stat; asking every entry for LinkTarget costs a readlink each.
        if ((info.Attributes & FileAttributes.ReparsePoint) != 0 && info.LinkTarget is { } target)
        {
            // Never followed: the archive must not pull in content from outside the folder.
            writer.WriteEntry(new GnuTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, ModificationTime = info.LastWriteTimeUtc });
            return true;
        }

        if (info is not FileInfo file || (info.Attributes & FileAttributes.Directory) != 0 || OpenRegularFile(file) is not { } data)
        {
            return false;
        }

        using (data)
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = file.UnixFileMode & PermissionBits,
                ModificationTime = file.LastWriteTimeUtc,
                DataStream = data,
            });
        }

        return true;
    }

    /// <summary>
    /// Opens <paramref name="file"/> for reading when it is a regular file, or returns <c>null</c> for FIFOs and
    /// sockets. .NET exposes no file type, and a plain open of a FIFO blocks until a writer appears, so the file
    /// is opened non-blocking through libc and kept only when it is seekable (regular files are, FIFOs are not).
    /// </summary>
    private static FileStream? OpenRegularFile(FileInfo file)
    {
        if (OperatingSystem.IsWindows())
        {
            return new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
        }

        var fd = NativeMethods.open(file.FullName, NativeMethods.ReadOnlyNonBlocking);
        if (fd < 0)
        {
            // Sockets cannot be opened (ENXIO); anything else that fails is reported like a normal open would.
            return File.Exists(file.FullName) && (file.Attributes & FileAttributes.Directory) == 0 && !IsSocketError()
                ? new FileStream(file.FullName, FileMode.Open, FileAccess.Read)
                : null;
        }

        var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 0);
        if (stream.CanSeek)
        {
            return stream;
        }

        stream.Dispose();
        return null;
    }

    private static bool IsSocketError() => Marshal.GetLastPInvokeError() == 6; // ENXIO on Linux and macOS

    private static void EnsureDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The folder '{directory}' does not exist.");
        }
    }
}
