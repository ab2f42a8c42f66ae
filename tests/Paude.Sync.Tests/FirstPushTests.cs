using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>The first push into an empty session workspace: one tar stream of the working files and the branch's objects.</summary>
[Collection(SyncGroup.Name)]
public sealed class FirstPushTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task The_session_gets_the_commits_a_valid_repository_and_the_working_tree_with_its_uncommitted_state()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        local.Write("src/a.txt", "a\n");
        local.Write("gone.txt", "committed, then deleted locally\n");
        local.Write("run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(local.Path, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(local.Path, "link"), "src/a.txt");
        await local.CommitAsync("README.md", "r\n", "X");
        var head = await local.CommitAsync("src/b.txt", "b\n", "Y");
        local.Write("src/a.txt", "edited\n");
        local.Write("notes.txt", "untracked\n");
        File.Delete(Path.Combine(local.Path, "gone.txt"));

        var result = await PushAsync(session, local, ws);

        Assert.Equal(2, result.CommitsTransferred);
        Assert.Equal(["notes.txt", "src/a.txt"], result.FilesChanged);
        Assert.Contains(result.Warnings, w => w.Contains("gone.txt", StringComparison.Ordinal));
        Assert.True(result.BytesMoved > 0);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("main", (await Fixture.GitAsync(session, ws, "symbolic-ref", "--short", "HEAD")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal(" M src/a.txt\n?? notes.txt", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).TrimEnd());
        Assert.Equal("committed, then deleted locally\n", await Fixture.ExecAsync(session, "cat", ws + "/gone.txt"));
        Assert.Equal("src/a.txt", (await Fixture.ExecAsync(session, "readlink", ws + "/link")).Trim());
        Assert.Equal("755", (await Fixture.ExecAsync(session, "stat", "-c", "%a", ws + "/run.sh")).Trim());

        // The manifest now knows what the session holds: the next push is incremental.
        local.Write("src/b.txt", "b2\n");
        var next = await PushAsync(session, local, ws);
        Assert.Equal(["src/b.txt"], next.FilesChanged);
        Assert.Equal(["gone.txt"], next.FilesDeleted);
    }

    [Fact]
    public async Task A_packed_repository_takes_the_receive_pack_path_and_a_non_empty_workspace_is_never_overwritten()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "X");
        var head = await local.CommitAsync("a.txt", "a2\n", "Y");
        await local.GitAsync("gc", "-q");

        var packed = await PushAsync(session, local, ws);
        Assert.Equal(2, packed.CommitsTransferred);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("a2\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));

        var other = NewSessionWorkspace();
        await Fixture.WriteAsync(session, other, "a.txt", "the session's own file\n");
        using var second = await LocalRepo.CreateAsync();
        await second.CommitAsync("a.txt", "local\n", "L");
        await Assert.ThrowsAnyAsync<SyncException>(() => PushAsync(session, second, other));
        Assert.Equal("the session's own file\n", await Fixture.ExecAsync(session, "cat", other + "/a.txt"));
    }
}
