namespace Paude.TestSupport;

/// <summary>A real local git repository in a temp folder, driven with the git CLI (what a user would do).</summary>
public sealed class LocalRepo : IDisposable
{
    private LocalRepo(string path) => Path = path;

    public string Path { get; }

    public static async Task<LocalRepo> CreateAsync(bool git = true)
    {
        var dir = Directory.CreateTempSubdirectory("paude-local-repo-").FullName;
        var repo = new LocalRepo(dir);
        if (git)
        {
            await repo.GitAsync("init", "-q", "-b", "main");
            await repo.GitAsync("config", "user.name", "User");
            await repo.GitAsync("config", "user.email", "user@example.com");
        }

        return repo;
    }

    public async Task<string> GitAsync(params string[] args)
    {
        var result = await ProcessRunner.RunAsync("git", ["-C", Path, .. args]);
        return result.EnsureSuccess("git " + string.Join(' ', args)).StandardOutput.Trim();
    }

    public void Write(string path, string content)
    {
        var full = System.IO.Path.Combine(Path, path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public string Read(string path) => File.ReadAllText(System.IO.Path.Combine(Path, path));

    public bool Exists(string path) => File.Exists(System.IO.Path.Combine(Path, path));

    public async Task<string> CommitAsync(string path, string content, string message)
    {
        Write(path, content);
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "-m", message);
        return await GitAsync("rev-parse", "HEAD");
    }

    /// <summary>Whether <paramref name="commit"/> is reachable from some ref (branches, backups, tags...).</summary>
    public async Task<bool> IsReachableAsync(string commit)
    {
        var refs = await GitAsync("for-each-ref", "--format=%(refname)", "--contains", commit);
        return refs.Length > 0;
    }

    /// <summary>Everything a user sees of the workspace: status, HEAD, index and the files (for before/after checks).</summary>
    public async Task<string> StateAsync()
    {
        var status = await GitAsync("status", "--porcelain=v1", "--untracked-files=all");
        var head = await ProcessRunner.RunAsync("git", ["-C", Path, "rev-parse", "HEAD"]);
        var index = await ProcessRunner.RunAsync("git", ["-C", Path, "ls-files", "-s"]);
        var files = TreeSnapshot.Describe(Path).Where(l => !l.Contains(" .git", StringComparison.Ordinal) && !l.Contains(" .git/", StringComparison.Ordinal));
        return $"HEAD {head.StandardOutput.Trim()}\n{status}\n{index.StandardOutput}\n{string.Join('\n', files)}";
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
