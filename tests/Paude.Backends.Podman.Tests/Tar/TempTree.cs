namespace Paude.Tests.Tar;

/// <summary>A scratch folder deleted after the test.</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree() => Root = Directory.CreateTempSubdirectory("paude-tar-test-").FullName;

    public string Root { get; }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string Dir(string relative) => Directory.CreateDirectory(Path(relative)).FullName;

    public string File(string relative, string content, UnixFileMode? mode = null)
    {
        var path = Path(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        if (mode is { } m)
        {
            System.IO.File.SetUnixFileMode(path, m);
        }

        return path;
    }

    public void Dispose()
    {
        foreach (var dir in Directory.EnumerateDirectories(Root, "*", SearchOption.AllDirectories))
        {
            if (new DirectoryInfo(dir).LinkTarget is null)
            {
                System.IO.File.SetUnixFileMode(dir, (UnixFileMode)0x1FF);
            }
        }

        Directory.Delete(Root, recursive: true);
    }
}
