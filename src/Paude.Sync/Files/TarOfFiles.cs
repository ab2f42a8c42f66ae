using System.Formats.Tar;
using System.IO.Pipelines;

namespace Paude.Sync.Files;

/// <summary>
/// Streams a tar of selected workspace files (only those cross the wire). GNU format: one 512-byte header per file
/// (PAX adds an extended header of 1 KiB per file for timestamps nobody needs here); long names still work.
/// </summary>
internal static class TarOfFiles
{
    /// <summary>Returns a stream producing the archive while it is read (never buffered whole).</summary>
    public static Stream Open(string root, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        _ = Task.Run(
            async () =>
            {
                var output = pipe.Writer.AsStream();
                try
                {
                    var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
                    await using (writer.ConfigureAwait(false))
                    {
                        foreach (var path in paths)
                        {
                            await writer.WriteEntryAsync(Path.Combine(root, path), path, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    await pipe.Writer.CompleteAsync(ex).ConfigureAwait(false);
                }
            },
            cancellationToken);
        return pipe.Reader.AsStream();
    }
}
