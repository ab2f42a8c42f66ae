using Paude.Conformance.Infrastructure;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>A real local git repository in a temp folder, driven with the git CLI (copied in small from Paude.Sync.Tests).</summary>
public sealed class LocalRepo : IDisposable
{
    private LocalRepo(string path) => Path = path;

    public string Path { get; }

    public static async Task<LocalRepo> CreateAsync(bool git = true)
    {
        var repo = new LocalRepo(Directory.CreateTempSubdirectory("paude-os-sync-").FullName);
        if (git)
        {
            await repo.GitAsync("init", "-q", "-b", "main");
            await repo.GitAsync("config", "user.name", "User");
            await repo.GitAsync("config", "user.email", "user@example.com");
        }

        return repo;
    }

    public async Task<string> GitAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("git", ["-C", Path, .. args])).EnsureSuccess("git " + string.Join(' ', args)).StandardOutput.Trim();

    public void Write(string path, string content)
    {
        var full = System.IO.Path.Combine(Path, path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public string Read(string path) => File.ReadAllText(System.IO.Path.Combine(Path, path));

    public async Task<string> CommitAsync(string path, string content, string message)
    {
        Write(path, content);
        await GitAsync("add", "-A");
        await GitAsync("commit", "-q", "-m", message);
        return await GitAsync("rev-parse", "HEAD");
    }

    /// <summary>Whether <paramref name="commit"/> is reachable from some ref (branches, backups, tags...).</summary>
    public async Task<bool> IsReachableAsync(string commit) =>
        (await GitAsync("for-each-ref", "--format=%(refname)", "--contains", commit)).Length > 0;

    /// <summary>Everything a user sees of the workspace: HEAD, status, index and the files.</summary>
    public async Task<string> StateAsync()
    {
        var head = await ProcessRunner.RunAsync("git", ["-C", Path, "rev-parse", "HEAD"]);
        var status = await GitAsync("status", "--porcelain=v1", "--untracked-files=all");
        var index = await ProcessRunner.RunAsync("git", ["-C", Path, "ls-files", "-s"]);
        var files = TreeSnapshot.Describe(Path).Where(l => !l.Contains(" .git", StringComparison.Ordinal));
        return $"HEAD {head.StandardOutput.Trim()}\n{status}\n{index.StandardOutput}\n{string.Join('\n', files)}";
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
