using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The incremental push (the branch is where the last push left it): only changed files cross the wire, and the
/// session's own edits to those files are never overwritten unless forced.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class IncrementalPushTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    private const int ChangedSize = 20 * 1024;

    [Fact]
    public async Task Only_the_changed_file_crosses_the_wire()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        for (var i = 0; i < 200; i++)
        {
            local.Write($"src/d{i % 10}/file{i}.txt", new string((char)('a' + (i % 26)), 4096 + i));
        }

        await local.CommitAsync("README.md", "r\n", "X");
        var first = await PushAsync(session, local, ws);
        Assert.True(first.BytesMoved > 200 * 4096 / 100, $"the first push sends the commit ({first.BytesMoved} bytes)");

        var content = string.Concat(Enumerable.Range(0, ChangedSize / 8).Select(i => $"{i,7}\n"));
        local.Write("src/d3/file13.txt", content);
        var second = await PushAsync(session, local, ws);

        Assert.Equal(["src/d3/file13.txt"], second.FilesChanged);
        Assert.Empty(second.FilesDeleted);
        Assert.Equal(0, second.CommitsTransferred);

        // The header record (1 + 64 + 64 + path + NUL) and one 512-byte tar header + padding + 1 KiB end of archive.
        Assert.InRange(second.BytesMoved, ChangedSize, ChangedSize + 3 * 1024);
        Assert.Equal(content, await Fixture.ExecAsync(session, "cat", ws + "/src/d3/file13.txt"));
        Assert.Equal("M src/d3/file13.txt", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());

        var again = await PushAsync(session, local, ws);
        Assert.Empty(again.FilesChanged);
        Assert.Equal(0, again.BytesMoved);
    }

    [Fact]
    public async Task A_session_edit_to_a_file_the_push_would_overwrite_is_refused_by_name_and_forced_keeps_it_in_the_stash()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"), ("b.txt", "b\n"));

        var refused = await AssertPushRefusedOverAgentEditsAsync(session, ws, local, () => PushAsync(session, local, ws),
            agent: [("a.txt", "agent edit\n")], user: [("a.txt", "user edit\n"), ("b.txt", "user edit of b\n")], unchanged: [("b.txt", "b\n")]);
        Assert.Contains("uncommitted changes", refused.Message, StringComparison.Ordinal);

        var forced = await PushAsync(session, local, ws, force: true);
        Assert.Equal(["a.txt", "b.txt"], forced.FilesChanged);
        Assert.Contains(forced.Warnings, w => w.Contains("a.txt", StringComparison.Ordinal) && !w.Contains("b.txt", StringComparison.Ordinal));
        Assert.Equal("user edit\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal("user edit of b\n", await Fixture.ExecAsync(session, "cat", ws + "/b.txt"));
        Assert.Contains("+agent edit", await Fixture.GitAsync(session, ws, "stash", "show", "-p"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forced_push_keeps_every_session_file_it_replaces_in_a_backup_folder_it_names()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));

        // A tracked edit (git stash would keep it) and an untracked file (nothing would) of the agent's.
        await Fixture.WriteAsync(session, ws, "a.txt", "agent edit\n");
        await Fixture.WriteAsync(session, ws, "notes/new.txt", "the agent's notes\n");
        local.Write("a.txt", "user edit\n");
        local.Write("notes/new.txt", "the user's notes\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(["a.txt", "notes/new.txt"], refused.PathsAtRisk);

        var forced = await PushAsync(session, local, ws, force: true);

        Assert.Equal("the user's notes\n", await Fixture.ExecAsync(session, "cat", ws + "/notes/new.txt"));
        var backup = Assert.Single(forced.BackupRefs);
        Assert.StartsWith($"{session.Value}:{ws}/.paude-backup-", backup, StringComparison.Ordinal);
        var folder = backup[(backup.IndexOf(':', StringComparison.Ordinal) + 1)..];
        Assert.Equal("agent edit\n", await Fixture.ExecAsync(session, "cat", folder + "/a.txt"));
        Assert.Equal("the agent's notes\n", await Fixture.ExecAsync(session, "cat", folder + "/notes/new.txt"));
        Assert.Contains(forced.Warnings, w => w.Contains(folder, StringComparison.Ordinal));

        // The backup folder stays out of later syncs.
        var back = await PullAsync(session, local, ws, SyncStrategy.Branch);
        Assert.DoesNotContain(back.FilesChanged, p => p.Contains(".paude-backup-", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(local.Path, folder[(ws.Length + 1)..])));
    }

    [Fact]
    public async Task A_new_session_file_at_a_path_the_push_creates_is_refused_unless_it_already_has_the_same_content()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));

        await Fixture.WriteAsync(session, ws, "new.txt", "the agent's notes\n");
        await Fixture.WriteAsync(session, ws, "same.txt", "same\n");
        local.Write("new.txt", "the user's notes\n");
        local.Write("same.txt", "same\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(["new.txt"], refused.PathsAtRisk);
        Assert.Equal("the agent's notes\n", await Fixture.ExecAsync(session, "cat", ws + "/new.txt"));

        File.Delete(Path.Combine(local.Path, "new.txt"));
        var pushed = await PushAsync(session, local, ws);
        Assert.Equal(["same.txt"], pushed.FilesChanged);
        Assert.Equal("the agent's notes\n", await Fixture.ExecAsync(session, "cat", ws + "/new.txt"));
    }

    [Fact]
    public async Task Reverting_an_uploaded_edit_locally_reverts_it_in_the_session()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "committed\n"));
        local.Write("a.txt", "edited\n");
        await PushAsync(session, local, ws);
        Assert.Equal("edited\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));

        await local.GitAsync("checkout", "--", "a.txt");
        var reverted = await PushAsync(session, local, ws);
        Assert.Equal(["a.txt"], reverted.FilesChanged);
        Assert.Equal("committed\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal(string.Empty, (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());

        var nothing = await PushAsync(session, local, ws);
        Assert.Empty(nothing.FilesChanged);
        Assert.Equal(0, nothing.BytesMoved);
    }

    [Fact]
    public async Task A_session_that_moved_on_takes_the_full_path_its_commits_refuse_the_push_and_a_branch_switch_is_followed_back()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));

        await Fixture.GitAsync(session, ws, "checkout", "-q", "-b", "agent-branch");
        local.Write("a.txt", "edit 1\n");
        var followed = await PushAsync(session, local, ws);
        Assert.Equal(["a.txt"], followed.FilesChanged);
        Assert.Equal("main", (await Fixture.GitAsync(session, ws, "symbolic-ref", "--short", "HEAD")).Trim());
        Assert.Equal("edit 1\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));

        await Fixture.GitAsync(session, ws, "checkout", "-q", "--", "a.txt");
        var s1 = await Fixture.CommitAsync(session, ws, "s.txt", "session\n", "S1");
        local.Write("a.txt", "edit 2\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Contains(s1[..10] + " S1", refused.Message, StringComparison.Ordinal);
        Assert.Equal("a\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
    }

    [Fact]
    public async Task New_local_commits_travel_in_the_one_exec_push_as_a_pack_and_the_session_branch_follows()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        for (var i = 0; i < 100; i++)
        {
            local.Write($"src/d{i % 5}/f{i}.txt", $"file {i}\n");
        }

        local.Write("b.txt", "b\n");
        local.Write("c.txt", "c\n");
        await local.CommitAsync("a.txt", "a\n", "X");
        await PushAsync(session, local, ws);
        local.Write("a.txt", "edited and uploaded\n");
        await PushAsync(session, local, ws);

        await local.GitAsync("commit", "-q", "-am", "Y: commit the uploaded edit");
        local.Write("b.txt", "b2\n");
        File.SetUnixFileMode(Path.Combine(local.Path, "b.txt"), (UnixFileMode)0b111_101_101);
        File.Delete(Path.Combine(local.Path, "c.txt"));
        local.Write("src/d2/f7.txt", "changed 7\n");
        await local.CommitAsync("d/new.txt", "new\n", "Z: modify, chmod, delete, add");
        local.Write("e.txt", "untracked\n");
        var head = await local.GitAsync("rev-parse", "HEAD");

        var pushed = await PushAsync(session, local, ws);

        Assert.Equal(2, pushed.CommitsTransferred);
        Assert.Equal([$"{session.Value}:refs/heads/main"], pushed.RefsWritten);
        Assert.Equal(["b.txt", "d/new.txt", "e.txt", "src/d2/f7.txt"], pushed.FilesChanged);
        Assert.Equal(["c.txt"], pushed.FilesDeleted);
        Assert.InRange(pushed.BytesMoved, 1, 16 * 1024);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("main", (await Fixture.GitAsync(session, ws, "symbolic-ref", "--short", "HEAD")).Trim());

        // The fast path moved the branch (its reflog message), not the full path's checkout.
        Assert.Equal("paude sync: push", (await Fixture.GitAsync(session, ws, "reflog", "-1", "--format=%gs")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal("?? e.txt", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());
        Assert.Equal("b2\n", await Fixture.ExecAsync(session, "cat", ws + "/b.txt"));
        Assert.Equal("755", (await Fixture.ExecAsync(session, "stat", "-c", "%a", ws + "/b.txt")).Trim());
        Assert.Equal("new\n", await Fixture.ExecAsync(session, "cat", ws + "/d/new.txt"));
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ws + "/c.txt"])).ExitCode);

        var nothing = await PushAsync(session, local, ws);
        Assert.Empty(nothing.FilesChanged);
        Assert.Equal(0, nothing.BytesMoved);
    }

    [Fact]
    public async Task New_local_commits_are_refused_when_the_session_edited_a_path_they_change_or_committed_itself()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("b.txt", "b\n"), ("a.txt", "a\n"));
        var pushedCommit = await local.GitAsync("rev-parse", "HEAD");

        await Fixture.WriteAsync(session, ws, "a.txt", "agent edit\n");
        await local.CommitAsync("a.txt", "a2\n", "Y");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(["a.txt"], refused.PathsAtRisk);
        Assert.Equal(pushedCommit, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("agent edit\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));

        await Fixture.GitAsync(session, ws, "checkout", "-q", "--", "a.txt");
        var s1 = await Fixture.CommitAsync(session, ws, "s.txt", "session\n", "S1");
        var moved = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Contains(s1[..10] + " S1", moved.Message, StringComparison.Ordinal);
        Assert.Equal(s1, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("a\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
    }
}
