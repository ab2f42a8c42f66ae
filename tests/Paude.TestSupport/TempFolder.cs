namespace Paude.TestSupport;

/// <summary>A fresh folder in the temp directory, removed with everything in it on disposal.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "paude-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>Everything in the folder, relative paths, sorted (empty: nothing was written into it).</summary>
    public IReadOnlyList<string> Entries =>
        [.. Directory.EnumerateFileSystemEntries(Path, "*", SearchOption.AllDirectories).Select(e => System.IO.Path.GetRelativePath(Path, e)).Order(StringComparer.Ordinal)];

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
