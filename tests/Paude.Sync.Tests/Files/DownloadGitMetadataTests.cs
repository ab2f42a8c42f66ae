using System.Diagnostics;
using Paude.Execution;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// <c>DownloadDirectoryAsync</c> against a real Podman session whose agent planted git metadata: a <c>.git/config</c>
/// with <c>core.fsmonitor</c>, spellings git takes for <c>.git</c> on NTFS/HFS+, a <c>.git</c> file, a nested
/// repository, a bare repository layout and a link into <c>.git</c>. By default none of it reaches the host and
/// real <c>git status</c> there runs nothing; asked for the raw copy, it all comes (and git runs the agent's hook,
/// which is why that is not the default).
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class DownloadGitMetadataTests(SyncFixture fixture) : SyncTestBase(fixture), IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("paude-gitmeta-").FullName;

    private static readonly string[] Planted =
        [".GIT", ".git", "a/.git.", "b/git~1", "c/.git ", "d/.g\u200Cit", "evil.git", "lnk", "sub/.git", "w/.git"];

    private static readonly string[] Ordinary =
        ["a", "a/keep.txt", "b", "c", "d", "ok.txt", "sub", "sub/code.txt", "w", "w/readme.md"];

    private string Marker => Path.Combine(_scratch, "pwned");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task A_download_leaves_out_every_spelling_of_git_metadata_and_git_status_runs_nothing()
    {
        var (session, ws) = await PlantAsync("default");
        var target = Path.Combine(_scratch, "down");

        var result = await Fixture.Backend.DownloadDirectoryAsync(session, ws, target, DirectoryDownloadOptions.Default);

        Assert.Equal(Planted.Order(StringComparer.Ordinal), result.LeftOut);
        Assert.Equal(Ordinary, Entries(target));
        Assert.Equal("fine\n", await File.ReadAllTextAsync(Path.Combine(target, "ok.txt")));
        foreach (var folder in new[] { ".", "sub", "w", "a" })
        {
            RunGitStatus(Path.Combine(target, folder));
        }

        Assert.False(File.Exists(Marker), "git status in the downloaded folder ran the agent's fsmonitor command");
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_scratch), p => Path.GetFileName(p).Contains("paude-staging", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_old_overload_leaves_git_metadata_out_too()
    {
        var (session, ws) = await PlantAsync("old");
        var target = Path.Combine(_scratch, "old");

        await Fixture.Backend.DownloadDirectoryAsync(session, ws, target);

        Assert.Equal(Ordinary, Entries(target));
    }

    [Fact]
    public async Task Include_git_metadata_brings_the_raw_copy_whose_config_git_then_runs()
    {
        var (session, ws) = await PlantAsync("raw");
        var target = Path.Combine(_scratch, "raw");

        var result = await Fixture.Backend.DownloadDirectoryAsync(session, ws, target, new DirectoryDownloadOptions { IncludeGitMetadata = true });

        Assert.Empty(result.LeftOut);
        var entries = Entries(target);
        Assert.All(Planted, p => Assert.Contains(p, entries));
        Assert.All(Ordinary, p => Assert.Contains(p, entries));
        Assert.Equal("gitdir: ../evil.git\n", await File.ReadAllTextAsync(Path.Combine(target, "w", ".git")));

        // Why the default leaves it out: the agent's hook runs on the host at the first git status.
        RunGitStatus(target);
        Assert.True(File.Exists(Marker), "the planted fsmonitor command should run in the raw copy; the hostile setup is not what this test thinks");
    }

    /// <summary>Writes the hostile tree on the host, uploads it into a fresh session folder and returns that folder.</summary>
    private async Task<(Sessions.SessionName Session, string Workspace)> PlantAsync(string label)
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        var source = Path.Combine(_scratch, "src-" + label);
        var hook = $"[core]\n\trepositoryformatversion = 0\n\tfsmonitor = \"touch '{Marker}'; false\"\n";
        void Write(string relative, string content)
        {
            var path = Path.Combine(source, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }

        void Repository(string relative)
        {
            Write(relative + "/HEAD", "ref: refs/heads/main\n");
            Write(relative + "/config", hook);
            Directory.CreateDirectory(Path.Combine(source, relative, "objects"));
            Directory.CreateDirectory(Path.Combine(source, relative, "refs", "heads"));
        }

        Write("ok.txt", "fine\n");
        Repository(".git");
        Write(".GIT/config", hook);
        Write("a/keep.txt", "kept\n");
        Repository("a/.git.");
        Repository("b/git~1");
        Repository("c/.git ");
        Repository("d/.g\u200Cit");
        Repository("evil.git");
        Repository("sub/.git");
        Write("sub/code.txt", "code\n");
        Write("w/.git", "gitdir: ../evil.git\n");
        Write("w/readme.md", "readme\n");
        File.CreateSymbolicLink(Path.Combine(source, "lnk"), ".git/config");

        await Fixture.Backend.UploadDirectoryAsync(session, source, ws);
        Assert.Equal("gitdir: ../evil.git\n", await Fixture.ExecAsync(session, "cat", ws + "/w/.git"));
        return (session, ws);
    }

    private static List<string> Entries(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];

    private void RunGitStatus(string directory)
    {
        // The ceiling keeps git from finding a repository above the scratch folder; the hook would run in-process.
        var start = new ProcessStartInfo("git", ["status", "--porcelain"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["GIT_CEILING_DIRECTORIES"] = _scratch;
        using var git = Process.Start(start)!;
        git.StandardOutput.ReadToEnd();
        git.StandardError.ReadToEnd();
        git.WaitForExit();
    }
}
