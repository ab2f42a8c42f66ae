namespace Paude.Tests.Support;

/// <summary>A scratch folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "paude-cred-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Files created by a container's UID may need another pass; leftovers are in /tmp only.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
