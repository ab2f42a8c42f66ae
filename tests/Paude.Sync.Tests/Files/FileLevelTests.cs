using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Non-git workspaces and the exclude strategy's details: working files only, three-way per file against the last
/// sync. The core exclude scenario is shared by every backend (<see cref="Paude.Conformance.Sync.SyncConformanceTests"/>).
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class FileLevelTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task Non_git_workspace_merges_files_three_way_refuses_branch_and_guards_overwrite()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "a\n");
        local.Write("dir/b.txt", "b\n");
        local.Write("node_modules/big.js", "never synced\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.WriteAsync(session, ws, "session-only.txt", "kept\n");

        var branch = await Assert.ThrowsAsync<NotAGitRepositoryException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Branch));
        Assert.Contains("branch strategy needs a git repository", branch.Message, StringComparison.Ordinal);

        var push = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Merge);
        Assert.Equal(["a.txt", "dir/b.txt"], push.FilesChanged);
        Assert.Empty(push.FilesDeleted);
        Assert.Equal("kept\n", await Fixture.ExecAsync(session, "cat", ws + "/session-only.txt"));
        Assert.Equal("no", (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ws + "/node_modules"])).ExitCode == 0 ? "yes" : "no");

        await Fixture.WriteAsync(session, ws, "a.txt", "a from session\n");
        await Fixture.ExecAsync(session, "rm", ws + "/dir/b.txt");
        var pull = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge);
        Assert.Equal(["a.txt", "session-only.txt"], pull.FilesChanged);
        Assert.Equal(["dir/b.txt"], pull.FilesDeleted);
        Assert.Equal("a from session\n", local.Read("a.txt"));
        Assert.False(local.Exists("dir/b.txt"));

        local.Write("a.txt", "local edit\n");
        await Fixture.WriteAsync(session, ws, "a.txt", "session edit\n");
        var before = TreeSnapshot.Describe(local.Path);
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Overwrite));
        Assert.Equal(["a.txt"], refused.PathsAtRisk);
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));

        var forced = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Overwrite, force: true);
        Assert.Equal("session edit\n", local.Read("a.txt"));
        Assert.Equal("local edit\n", File.ReadAllText(Path.Combine(Assert.Single(forced.BackupRefs), "a.txt")));
    }

    [Fact]
    public async Task Dry_run_reports_exactly_what_would_change_and_changes_nothing()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync("s1", local, ("f.txt", "1\n"));
        await Fixture.CommitAsync(session, ws, "f.txt", "2\n", "S1");
        await Fixture.WriteAsync(session, ws, "g.txt", "new\n");
        var manifest = Path.Combine(local.Path, ".git", "paude", "sync-manifest.json");
        var manifestBefore = File.ReadAllText(manifest);
        var before = await local.StateAsync();
        var refsBefore = await local.GitAsync("for-each-ref");

        var merge = await PullAsync(session, local, ws, SyncStrategy.Merge, dryRun: true);
        var exclude = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude, dryRun: true);

        Assert.True(merge.DryRun);
        Assert.Equal(1, merge.CommitsTransferred);
        Assert.Equal(["f.txt"], merge.FilesChanged);
        Assert.Equal(["f.txt", "g.txt"], exclude.FilesChanged);
        Assert.Equal(before, await local.StateAsync());
        Assert.Equal(refsBefore, await local.GitAsync("for-each-ref"));
        Assert.Equal(manifestBefore, File.ReadAllText(manifest));
    }
}
