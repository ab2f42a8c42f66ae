using System.Security.Cryptography;
using System.Text;
using Paude.Sync.Files;
using Paude.Sync.Git;

namespace Paude.Sync.Tests.Scripts;

/// <summary>
/// The sync's session scripts (<c>Files/Scripts/*.sh</c>, <c>Git/Scripts/*.sh</c>) run directly with bash on the host
/// in a temp folder, with real git and tar (no container): their protocol as written in each file's header, with
/// hostile names (newlines, spaces, leading dashes) and links the scripts must not follow.
/// </summary>
public sealed class SyncScriptTests : IDisposable
{
    private static readonly string[] HostileNames = ["-rf", "a b", "new\nline", "--help", " lead"];

    private readonly string _root = Directory.CreateTempSubdirectory("paude-sync-script-").FullName;

    private string Workspace => Path.Combine(_root, "ws");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ListFilesPrintsNForAMissingWorkspace()
    {
        var outcome = await BashAsync(SessionScripts.ListFiles, [Path.Combine(_root, "missing")]);
        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal("N\0", outcome.StandardOutput);
    }

    [Fact]
    public async Task ListFilesHashesRegularFilesWithHostileNamesAndSkipsLinksGitAndExcludes()
    {
        Directory.CreateDirectory(Path.Combine(Workspace, "sub", ".git"));
        Directory.CreateDirectory(Path.Combine(Workspace, "node_modules"));
        foreach (var name in HostileNames)
        {
            await File.WriteAllTextAsync(Path.Combine(Workspace, "sub", name), name);
        }

        await File.WriteAllTextAsync(Path.Combine(Workspace, "sub", ".git", "config"), "x");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "node_modules", "m.js"), "x");
        var outside = Path.Combine(_root, "outside");
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(Workspace, "link"), outside);
        Directory.CreateSymbolicLink(Path.Combine(Workspace, "dirlink"), _root);

        var outcome = await BashAsync(SessionScripts.ListFiles, [Workspace, "node_modules"]);

        Assert.Equal(0, outcome.ExitCode);
        var records = Records(outcome.StandardOutput).ToDictionary(r => r[66..], r => r[..64], StringComparer.Ordinal);
        Assert.Equal(HostileNames.Select(n => "sub/" + n).Order(StringComparer.Ordinal), records.Keys.Order(StringComparer.Ordinal));
        foreach (var name in HostileNames)
        {
            Assert.Equal(Sha256(name), records["sub/" + name]);
        }
    }

    [Fact]
    public async Task TarFilesArchivesExactlyTheNamedPathsAndStoresALinkAsALink()
    {
        Directory.CreateDirectory(Workspace);
        foreach (var name in HostileNames)
        {
            await File.WriteAllTextAsync(Path.Combine(Workspace, name), name);
        }

        await File.WriteAllTextAsync(Path.Combine(_root, "outside"), "secret");
        File.CreateSymbolicLink(Path.Combine(Workspace, "link"), Path.Combine(_root, "outside"));
        await File.WriteAllTextAsync(Path.Combine(Workspace, "not-asked"), "x");
        var names = HostileNames.Append("link").ToArray();

        var tar = Path.Combine(_root, "out.tar");
        var outcome = await ProcessRunner.RunAsync(
            "bash",
            ["-c", "bash -c \"$1\" bash \"$2\" > \"$3\"", "outer", SessionScripts.TarFiles, Workspace, tar], // tar's stdout is binary: into a file
            new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(names.Select(n => n + "\0")))));
        Assert.True(outcome.ExitCode == 0, outcome.StandardError);

        var listing = await ProcessRunner.RunAsync("tar", ["--null", "-tvf", tar]);
        var extracted = Path.Combine(_root, "x");
        Directory.CreateDirectory(extracted);
        (await ProcessRunner.RunAsync("tar", ["-xf", tar, "-C", extracted])).EnsureSuccess("tar -x");
        Assert.Equal(names.Order(StringComparer.Ordinal), Directory.EnumerateFileSystemEntries(extracted).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.NotNull(new FileInfo(Path.Combine(extracted, "link")).LinkTarget);
        Assert.DoesNotContain("secret", listing.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("-rf", await File.ReadAllTextAsync(Path.Combine(extracted, "-rf")));
    }

    [Fact]
    public async Task DeleteRemovesHostileNamesAndALinkButNotItsTarget()
    {
        Directory.CreateDirectory(Workspace);
        foreach (var name in HostileNames)
        {
            await File.WriteAllTextAsync(Path.Combine(Workspace, name), name);
        }

        var outside = Path.Combine(_root, "outside");
        await File.WriteAllTextAsync(outside, "keep");
        File.CreateSymbolicLink(Path.Combine(Workspace, "link"), outside);
        await File.WriteAllTextAsync(Path.Combine(Workspace, "stays"), "x");

        var outcome = await BashAsync(SessionScripts.Delete, [Workspace, .. HostileNames, "link"]);

        Assert.Equal(0, outcome.ExitCode);
        Assert.Equal(["stays"], Directory.EnumerateFileSystemEntries(Workspace).Select(Path.GetFileName));
        Assert.Equal("keep", await File.ReadAllTextAsync(outside));
    }

    [Fact]
    public async Task ProbeRepositoryReportsHeadBranchAndChangedFilesWithHostileNames()
    {
        Assert.Equal("N\0", (await BashAsync(SessionScripts.ProbeRepository, [Workspace, "main"])).StandardOutput);

        (await BashAsync(SessionScripts.InitRepository, [Workspace, "main"])).EnsureSuccess("init-repository.sh");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "tracked"), "v1");
        await GitAsync("add", "tracked");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
        var head = (await GitAsync("rev-parse", "HEAD")).Trim();
        File.Delete(Path.Combine(Workspace, "tracked"));
        await File.WriteAllTextAsync(Path.Combine(Workspace, "new\nline"), "n");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "-x"), "d");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "skip.log"), "s");

        var outcome = await BashAsync(SessionScripts.ProbeRepository, [Workspace, "main", "*.log"]);

        Assert.Equal(0, outcome.ExitCode);
        var records = Records(outcome.StandardOutput).ToList();
        Assert.Equal(["Bmain", "C" + head, "T" + head, "Dtracked"], records.Take(4));
        Assert.Equal(
            new[] { "H" + Sha256("d") + "  -x", "H" + Sha256("n") + "  new\nline" }.Order(StringComparer.Ordinal),
            records.Skip(4).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ListCommitsPrintsEveryCommitAndNothingWithoutARepository()
    {
        Assert.Equal(string.Empty, (await BashAsync(SessionScripts.ListCommits, [Workspace])).StandardOutput);
        (await BashAsync(SessionScripts.InitRepository, [Workspace, "main"])).EnsureSuccess("init-repository.sh");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "$(touch pwned) subject");

        var outcome = await BashAsync(SessionScripts.ListCommits, [Workspace]);

        var head = (await GitAsync("rev-parse", "HEAD")).Trim();
        Assert.Equal([head + " $(touch pwned) subject"], Records(outcome.StandardOutput));
        Assert.False(File.Exists(Path.Combine(Workspace, "pwned")));
    }

    [Fact]
    public async Task FollowChecksOutThePushedCommitRestoresDiscardsAndDeletesHostileNames()
    {
        (await BashAsync(SessionScripts.InitRepository, [Workspace, "main"])).EnsureSuccess("init-repository.sh");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "-f"), "v1");
        await GitAsync("add", "--", "-f");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "-f"), "v2");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "two");
        var pushed = (await GitAsync("rev-parse", "HEAD")).Trim();
        await GitAsync("reset", "-q", "--hard", "HEAD~1");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "-f"), "uploaded earlier");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "gone\nline"), "delete me");

        var outcome = await BashAsync(SessionScripts.Follow, [Workspace, pushed, "main", "0", "1", "-f", "gone\nline"]);

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal(pushed, (await GitAsync("rev-parse", "refs/heads/main")).Trim());
        Assert.Equal("main", (await GitAsync("symbolic-ref", "--short", "HEAD")).Trim());
        Assert.Equal("v2", await File.ReadAllTextAsync(Path.Combine(Workspace, "-f")));
        Assert.False(File.Exists(Path.Combine(Workspace, "gone\nline")));
    }

    [Fact]
    public async Task FollowWithForceStashesTrackedEditsWithoutAnIdentityAndPrintsTheStash()
    {
        (await BashAsync(SessionScripts.InitRepository, [Workspace, "main"])).EnsureSuccess("init-repository.sh");
        await File.WriteAllTextAsync(Path.Combine(Workspace, "a.txt"), "v1");
        await GitAsync("add", "a.txt");
        await GitAsync("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one");
        var head = (await GitAsync("rev-parse", "HEAD")).Trim();
        await File.WriteAllTextAsync(Path.Combine(Workspace, "a.txt"), "agent edit");

        // No identity anywhere (the session's agent may have none): HOME and the system config point nowhere.
        var outcome = await ProcessRunner.RunAsync("env", ["HOME=" + _root, "GIT_CONFIG_NOSYSTEM=1", "bash", "-c", SessionScripts.Follow, "bash", Workspace, head, "main", "1", "0"], stdin: null, workingDirectory: _root);

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        var stash = (await GitAsync("rev-parse", "refs/stash")).Trim();
        Assert.Equal(["S" + stash], Records(outcome.StandardOutput));
        Assert.Equal("agent edit", await GitAsync("show", stash + ":a.txt"));
        Assert.Equal("v1", await File.ReadAllTextAsync(Path.Combine(Workspace, "a.txt")));
    }

    [Fact]
    public async Task BackupCopyCopiesFilesAndLinksWithHostileNamesAndPrintsB()
    {
        Directory.CreateDirectory(Path.Combine(Workspace, "sub"));
        foreach (var name in HostileNames)
        {
            await File.WriteAllTextAsync(Path.Combine(Workspace, "sub", name), "content of " + name);
        }

        File.CreateSymbolicLink(Path.Combine(Workspace, "link"), "/etc/passwd");
        var paths = HostileNames.Select(n => "sub/" + n).Append("link").Append("gone.txt").ToList();
        var stdin = new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(paths.Select(p => p + "\0"))));

        var outcome = await ProcessRunner.RunAsync("bash", ["-c", SessionScripts.BackupCopy, "bash", Workspace, ".paude-backup-x"], stdin);

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal(["B"], Records(outcome.StandardOutput));
        var backup = Path.Combine(Workspace, ".paude-backup-x");
        foreach (var name in HostileNames)
        {
            Assert.Equal("content of " + name, await File.ReadAllTextAsync(Path.Combine(backup, "sub", name)));
        }

        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(backup, "link")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(backup, "gone.txt")));
    }

    [Fact]
    public async Task BackupCopyRefusesAnExistingFolderAndMakesNoneWhenNothingIsThere()
    {
        Directory.CreateDirectory(Path.Combine(Workspace, ".paude-backup-x"));
        await File.WriteAllTextAsync(Path.Combine(Workspace, "a.txt"), "a");

        var planted = await ProcessRunner.RunAsync("bash", ["-c", SessionScripts.BackupCopy, "bash", Workspace, ".paude-backup-x"], new MemoryStream("a.txt\0"u8.ToArray()));
        var nothing = await ProcessRunner.RunAsync("bash", ["-c", SessionScripts.BackupCopy, "bash", Workspace, ".paude-backup-y"], new MemoryStream("gone.txt\0"u8.ToArray()));

        Assert.NotEqual(0, planted.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Workspace, ".paude-backup-x")));
        Assert.Equal(0, nothing.ExitCode);
        Assert.Equal(string.Empty, nothing.StandardOutput);
        Assert.False(Directory.Exists(Path.Combine(Workspace, ".paude-backup-y")));
    }

    [Fact]
    public async Task InitRepositoryTakesAHostileWorkspaceAsAName()
    {
        var hostile = Path.Combine(_root, "-a b\nc");

        (await BashAsync(SessionScripts.InitRepository, [hostile, "main"])).EnsureSuccess("init-repository.sh");

        Assert.True(Directory.Exists(Path.Combine(hostile, ".git")));
    }

    [Fact]
    public async Task StagedUploadPlacesVerifiedFilesAndPrintsK()
    {
        var files = HostileNames.Select((n, i) => (Path: $"d{i % 2}/{n}", Content: "content of " + n)).ToList();

        var outcome = await UploadAsync(files, files.Select(f => Sha256(f.Content)).ToList());

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal("K\0", outcome.StandardOutput);
        foreach (var (path, content) in files)
        {
            Assert.Equal(content, await File.ReadAllTextAsync(Path.Combine(Workspace, path)));
        }

        Assert.Empty(Directory.EnumerateDirectories(Workspace, ".paude-staging-*"));
    }

    [Fact]
    public async Task StagedUploadWithAWrongHashExits6AndPlacesNothing()
    {
        Directory.CreateDirectory(Workspace);
        await File.WriteAllTextAsync(Path.Combine(Workspace, "a"), "old");
        (string Path, string Content)[] files = [("a", "new"), ("b", "bee")];

        var outcome = await UploadAsync(files, [Sha256("new"), Sha256("not bee")]);

        Assert.Equal(StagingScripts.TransferFailed, outcome.ExitCode);
        Assert.Contains("did not arrive intact", outcome.StandardError, StringComparison.Ordinal);
        Assert.Equal("old", await File.ReadAllTextAsync(Path.Combine(Workspace, "a")));
        Assert.False(File.Exists(Path.Combine(Workspace, "b")));
        Assert.Equal(["a"], Directory.EnumerateFileSystemEntries(Workspace).Select(Path.GetFileName));
    }

    [Fact]
    public async Task StagedUploadWithABadHeaderLengthExits5()
    {
        var outcome = await ProcessRunner.RunAsync("bash", ["-c", StagingScripts.Upload, "bash", Workspace], new MemoryStream("1$(touch x)\n"u8.ToArray()));

        Assert.Equal(5, outcome.ExitCode);
        Assert.False(File.Exists(Path.Combine(Workspace, "x")));
    }

    [Fact]
    public async Task FirstPushIntoANonEmptyWorkspaceExits3AndChangesNothing()
    {
        Directory.CreateDirectory(Workspace);
        await File.WriteAllTextAsync(Path.Combine(Workspace, "agent-work"), "mine");

        var outcome = await ProcessRunner.RunAsync("bash", ["-c", PushScripts.First, "bash", Workspace, "main", new string('a', 40)], new MemoryStream("1\n"u8.ToArray()));

        Assert.Equal(PushScripts.StateMoved, outcome.ExitCode);
        Assert.Equal(["agent-work"], Directory.EnumerateFileSystemEntries(Workspace).Select(Path.GetFileName));
    }

    [Fact]
    public async Task IncrementalPushIntoAMissingRepositoryExits3()
    {
        Directory.CreateDirectory(Workspace);

        var outcome = await ProcessRunner.RunAsync("bash", ["-c", PushScripts.Apply, "bash", Workspace, "main", new string('a', 40), "0", string.Empty], new MemoryStream("0 0 0 0\n"u8.ToArray()));

        Assert.Equal(PushScripts.StateMoved, outcome.ExitCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Workspace));
    }

    private async Task<ProcessOutcome> UploadAsync(IReadOnlyList<(string Path, string Content)> files, IReadOnlyList<string> hashes)
    {
        // The archive: the files as tar makes them from a scratch folder, in the order of the header.
        var source = Path.Combine(_root, "source");
        foreach (var (path, content) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(source, path))!);
            await File.WriteAllTextAsync(Path.Combine(source, path), content);
        }

        var tar = await ProcessRunner.RunBinaryAsync("bash", ["-c", "cd -- \"$1\" && shift && printf '%s\\0' \"$@\" | tar --null --verbatim-files-from -T - -cf -", "bash", source, .. files.Select(f => f.Path)]);
        var header = Encoding.UTF8.GetBytes(string.Concat(files.Select((f, i) => hashes[i] + f.Path + "\0")));
        var input = new MemoryStream();
        input.Write(Encoding.ASCII.GetBytes(header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));
        input.Write(header);
        tar.Position = 0;
        await tar.CopyToAsync(input);
        input.Position = 0;
        return await ProcessRunner.RunAsync("bash", ["-c", StagingScripts.Upload, "bash", Workspace], input);
    }

    private Task<ProcessOutcome> BashAsync(string script, IEnumerable<string> args) =>
        ProcessRunner.RunAsync("bash", ["-c", script, "bash", .. args], stdin: null, workingDirectory: _root);

    private async Task<string> GitAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("git", ["-C", Workspace, .. args])).EnsureSuccess("git " + args[0]).StandardOutput;

    private static IEnumerable<string> Records(string output) => output.Split('\0', StringSplitOptions.RemoveEmptyEntries);

    private static string Sha256(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}
