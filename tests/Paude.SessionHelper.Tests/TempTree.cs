namespace Paude.SessionHelper.Tests;

/// <summary>A fresh folder with a workspace and an "outside" folder next to it (where nothing may ever be written).</summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Root = Directory.CreateTempSubdirectory("paude-helper-test-").FullName;
        Workspace = Directory.CreateDirectory(Path.Combine(Root, "ws")).FullName;
        Outside = Directory.CreateDirectory(Path.Combine(Root, "outside")).FullName;
    }

    public string Root { get; }

    public string Workspace { get; }

    public string Outside { get; }

    public string Write(string relative, string content)
    {
        var full = Path.Combine(Workspace, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public string[] OutsideContent() => [.. Directory.EnumerateFileSystemEntries(Outside, "*", SearchOption.AllDirectories)];

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
