using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Paude.Execution;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Reads one small text file out of a tar stream that podman produced from a session's container or volume (the
/// proxy's access log, the config volume's policy). The bytes are untrusted, so they go through the same safe
/// extractor as every other archive from a session — framing guard, entry, size and link rules — into a private
/// scratch folder, and only a regular file at the archive's root is read (a link named like it is not followed).
/// </summary>
internal static class SafeTarFile
{
    /// <summary>The most entries accepted: these archives hold one or two files.</summary>
    private const int MaxEntries = 64;

    /// <summary>
    /// Extracts <paramref name="archive"/> (every entry at most <paramref name="maxBytes"/>) and returns what
    /// <paramref name="read"/> makes of the UTF-8 text of <paramref name="fileName"/> (streamed: a large log is never
    /// one string), or <c>default</c> when the archive has no such regular file (an empty stream has none).
    /// </summary>
    /// <exception cref="Errors.UnsafeContentException">The archive is invalid or breaks a limit.</exception>
    public static async Task<T?> ReadAsync<T>(Stream archive, string fileName, long maxBytes, Func<TextReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        // No bytes at all is podman's way of saying there is nothing (a missing volume), not a broken archive.
        var pipe = PipeReader.Create(archive, new StreamPipeReaderOptions(leaveOpen: true));
        var first = await pipe.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (first.Buffer.IsEmpty && first.IsCompleted)
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
            return null;
        }

        pipe.AdvanceTo(first.Buffer.Start);
        var stream = pipe.AsStream();
        await using var _ = stream.ConfigureAwait(false);
        var scratch = Path.Combine(Path.GetTempPath(), $"paude-tar-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
        try
        {
            var options = new SafeTarOptions { MaxEntryBytes = maxBytes, MaxTotalBytes = 4 * maxBytes, MaxEntries = MaxEntries };
            await SafeTarExtractor.ExtractAsync(stream, scratch, options, cancellationToken).ConfigureAwait(false);
            var file = new FileInfo(Path.Combine(scratch, fileName));
            if (!file.Exists || file.LinkTarget is not null)
            {
                return null;
            }

            using var text = new StreamReader(file.FullName, Encoding.UTF8);
            return read(text);
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                // Directory.Delete does not follow links, so nothing outside the scratch folder can be removed.
                Directory.Delete(scratch, recursive: true);
            }
        }
    }
}
