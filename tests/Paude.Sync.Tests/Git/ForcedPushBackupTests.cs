using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// A forced push keeps a way back for every session file it replaces, on every push path: the full git push (the
/// session is not where the last push left it) and the file strategy, as the incremental push does
/// (<see cref="IncrementalPushTests"/>): a copy in a backup folder in the session, named in the result.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class ForcedPushBackupTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task A_forced_full_git_push_copies_what_it_replaces_and_names_the_folder_and_the_stash()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));

        // The agent left the pushed branch (the incremental push no longer applies: the full path runs), edited a
        // tracked file (git stash would keep it) and wrote an untracked one (nothing would).
        await Fixture.GitAsync(session, ws, "checkout", "-q", "-b", "agent-side");
        await Fixture.WriteAsync(session, ws, "a.txt", "agent edit\n");
        await Fixture.WriteAsync(session, ws, "notes/new.txt", "the agent's notes\n");
        local.Write("a.txt", "user edit\n");
        local.Write("notes/new.txt", "the user's notes\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(["a.txt", "notes/new.txt"], refused.PathsAtRisk);
        Assert.Equal("the agent's notes\n", await Fixture.ExecAsync(session, "cat", ws + "/notes/new.txt"));

        var forced = await PushAsync(session, local, ws, force: true);

        Assert.Equal("user edit\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal("the user's notes\n", await Fixture.ExecAsync(session, "cat", ws + "/notes/new.txt"));
        var folderRef = Assert.Single(forced.BackupRefs, b => b.Contains("/.paude-backup-", StringComparison.Ordinal));
        Assert.StartsWith($"{session.Value}:{ws}/.paude-backup-", folderRef, StringComparison.Ordinal);
        var folder = folderRef[(session.Value.Length + 1)..];
        Assert.Equal("agent edit\n", await Fixture.ExecAsync(session, "cat", folder + "/a.txt"));
        Assert.Equal("the agent's notes\n", await Fixture.ExecAsync(session, "cat", folder + "/notes/new.txt"));
        Assert.Contains(forced.Warnings, w => w.Contains(folder, StringComparison.Ordinal));

        // The stash is named by its commit, and that commit holds the agent's tracked edit.
        var stash = (await Fixture.GitAsync(session, ws, "rev-parse", "refs/stash")).Trim();
        Assert.Contains($"{session.Value}:{stash}", forced.BackupRefs);
        Assert.Contains(forced.Warnings, w => w.Contains(stash, StringComparison.Ordinal));
        Assert.Equal("agent edit\n", await Fixture.GitAsync(session, ws, "show", stash + ":a.txt"));

        // The backup folder stays out of later syncs.
        var back = await PullAsync(session, local, ws, SyncStrategy.Branch);
        Assert.DoesNotContain(back.FilesChanged, p => p.Contains(".paude-backup-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forced_file_strategy_push_copies_the_session_files_it_replaces_into_a_backup_folder_it_names()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "a\n");
        local.Write("dir/b.txt", "b\n");
        await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Merge);

        await Fixture.WriteAsync(session, ws, "a.txt", "agent edit\n");
        await Fixture.WriteAsync(session, ws, "dir/b.txt", "agent edit of b\n");
        local.Write("a.txt", "user edit\n");
        local.Write("dir/b.txt", "user edit of b\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Overwrite));
        Assert.Equal(["a.txt", "dir/b.txt"], refused.PathsAtRisk);

        var forced = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Overwrite, force: true);

        Assert.Equal("user edit\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal("user edit of b\n", await Fixture.ExecAsync(session, "cat", ws + "/dir/b.txt"));
        var backup = Assert.Single(forced.BackupRefs);
        Assert.StartsWith($"{session.Value}:{ws}/.paude-backup-", backup, StringComparison.Ordinal);
        var folder = backup[(session.Value.Length + 1)..];
        Assert.Equal("agent edit\n", await Fixture.ExecAsync(session, "cat", folder + "/a.txt"));
        Assert.Equal("agent edit of b\n", await Fixture.ExecAsync(session, "cat", folder + "/dir/b.txt"));
        Assert.Contains(forced.Warnings, w => w.Contains(folder, StringComparison.Ordinal));

        // The backup folder is the session's, out of every listing: a pull does not bring it back.
        var back = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge);
        Assert.DoesNotContain(back.FilesChanged, p => p.Contains(".paude-backup-", StringComparison.Ordinal));
    }
}
