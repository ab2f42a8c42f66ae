using System.Formats.Tar;
using System.IO.Compression;

namespace Paude.Backends.OpenShift.Images;

/// <summary>The build context as the upload body: a gzip-compressed tar of the directory (symlinks kept as links).</summary>
internal static class ContextArchive
{
    /// <summary>Writes the archive to a temporary file and returns its path; the caller deletes it.</summary>
    public static async Task<string> CreateAsync(string directory, CancellationToken ct)
    {
        var path = Path.Combine(Path.GetTempPath(), $"paude-build-{Guid.NewGuid():N}.tar.gz");
        try
        {
            await using var file = File.Create(path);
            await using var gzip = new GZipStream(file, CompressionLevel.Fastest);
            await TarFile.CreateFromDirectoryAsync(directory, gzip, includeBaseDirectory: false, ct).ConfigureAwait(false);
            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}
