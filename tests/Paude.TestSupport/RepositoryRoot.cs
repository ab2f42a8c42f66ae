namespace Paude.TestSupport;

/// <summary>The repository root: the folder holding <c>Paude.sln</c>, for tests that use scripts, images or sources.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    /// <summary>The root's full path; throws when the tests do not run below a checkout.</summary>
    public static string Path => Root.Value;

    // Walk up from the test assembly (then the working directory): CI maps source paths to /_/, so
    // [CallerFilePath] cannot be used.
    private static string Find() =>
        FindUp(AppContext.BaseDirectory) ?? FindUp(Directory.GetCurrentDirectory())
        ?? throw new InvalidOperationException("Cannot find the repository root (Paude.sln) above the test assembly.");

    private static string? FindUp(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Paude.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
