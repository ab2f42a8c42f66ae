using System.Formats.Tar;
using System.Text;
using Paude.Execution;

namespace Paude.Tests.Tar;

/// <summary>
/// Which names git takes for <c>.git</c> (git's <c>is_ntfs_dotgit</c>/<c>is_hfs_dotgit</c>), and the removal in the
/// extractor's staging folder: real files, links looked at as links, never followed.
/// </summary>
public sealed class GitMetadataTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData(".git")]
    [InlineData(".GIT")]
    [InlineData(".Git")]
    [InlineData(".git.")]
    [InlineData(".git..")]
    [InlineData(".git ")]
    [InlineData(".git . ")]
    [InlineData("git~1")]
    [InlineData("GIT~1")]
    [InlineData("git~1. ")]
    [InlineData(".git::$INDEX_ALLOCATION")]
    [InlineData(".g\u200Cit")]
    [InlineData("\uFEFF.GI\u202Et")]
    [InlineData("x\\.git")]
    public void Names_git_takes_for_dot_git_are_git_metadata(string name) => Assert.True(GitMetadata.IsDotGit(name), name);

    [Theory]
    [InlineData(".github")]
    [InlineData(".gitignore")]
    [InlineData(".gitmodules")]
    [InlineData("git")]
    [InlineData(".gi")]
    [InlineData("git~2")]
    [InlineData("a.git")]
    [InlineData(".git-x")]
    [InlineData("evil.git")]
    [InlineData(". git")]
    public void Other_names_are_not(string name) => Assert.False(GitMetadata.IsDotGit(name), name);

    [Fact]
    public async Task The_extractor_removes_git_metadata_before_the_move_and_replaces_the_target()
    {
        _tmp.File("target/old.txt", "old");
        using var archive = Build(
            Dir("repo"), Regular("repo/HEAD", "ref: refs/heads/main\n"), Dir("repo/objects"), Dir("repo/refs"), Regular("repo/config", "x"),
            Dir("wt"), Regular("wt/HEAD", "ref: refs/heads/main\n"), Regular("wt/commondir", "../repo\n"),
            Regular("src/.GIT/config", "[core]\n"), Regular("src/main.c", "int main;\n"), Link("src/cfg", "../src/.GIT/config"),
            Regular("HEAD.txt", "not a repo\n"), Dir("refs"));

        var leftOut = await SafeTarExtractor.ExtractAsync(archive, _tmp.Path("target"), SafeTarOptions.Default with { LeaveOutGitMetadata = true });

        Assert.Equal(["repo", "src/.GIT", "src/cfg", "wt"], leftOut);
        Assert.Equal(["HEAD.txt", "refs", "src", "src/main.c"], Entries(_tmp.Path("target")));
        Assert.Equal(["target"], Directory.EnumerateFileSystemEntries(_tmp.Root).Select(Path.GetFileName)); // no staging left
    }

    [Fact]
    public async Task Without_the_option_the_extractor_keeps_everything()
    {
        using var archive = Build(Regular(".git/config", "[core]\n"), Regular("a.txt", "a"));

        var leftOut = await SafeTarExtractor.ExtractAsync(archive, _tmp.Path("target"));

        Assert.Empty(leftOut);
        Assert.Equal([".git", ".git/config", "a.txt"], Entries(_tmp.Path("target")));
    }

    [Fact]
    public void A_root_laid_out_as_a_repository_loses_its_head_only()
    {
        var root = _tmp.Dir("root");
        _tmp.File("root/HEAD", "ref: refs/heads/main\n");
        _tmp.File("root/config", "[core]\n");
        _tmp.Dir("root/objects");
        _tmp.Dir("root/refs");

        Assert.Equal(["HEAD"], GitMetadata.Remove(root));
        Assert.Equal(["config", "objects", "refs"], Entries(root));
    }

    [Fact]
    public void Links_are_removed_or_kept_as_links_and_never_followed()
    {
        // Outside the scanned folder: a repository and a .git a followed link would reach.
        _tmp.File("outside/.git/config", "[core]\n");
        _tmp.File("outside/bare/HEAD", "x");
        _tmp.Dir("outside/bare/objects");
        _tmp.Dir("outside/bare/refs");
        var root = _tmp.Dir("root");
        _tmp.File("root/keep.txt", "k");
        System.IO.File.CreateSymbolicLink(_tmp.Path("root/out"), _tmp.Path("outside"));
        System.IO.File.CreateSymbolicLink(_tmp.Path("root/bare"), _tmp.Path("outside/bare"));
        System.IO.File.CreateSymbolicLink(_tmp.Path("root/.git"), _tmp.Path("outside/.git"));

        Assert.Equal([".git"], GitMetadata.Remove(root));

        // Top level only: the listing itself would follow the links.
        Assert.Equal(["bare", "keep.txt", "out"], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(System.IO.File.Exists(_tmp.Path("outside/.git/config")));
        Assert.True(System.IO.File.Exists(_tmp.Path("outside/bare/HEAD")));
    }

    private static List<string> Entries(string root) =>
        [.. Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(root, p))
            .Order(StringComparer.Ordinal)];

    private static MemoryStream Build(params TarEntry[] entries)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in entries)
            {
                writer.WriteEntry(entry);
            }
        }

        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry Dir(string name) => new(TarEntryType.Directory, name) { Mode = (UnixFileMode)0x1ED };

    private static PaxTarEntry Link(string name, string target) => new(TarEntryType.SymbolicLink, name) { LinkName = target };

    private static PaxTarEntry Regular(string name, string content) =>
        new(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0x1A4, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
}
