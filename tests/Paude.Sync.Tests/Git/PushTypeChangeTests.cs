using System.Text;
using Paude.Errors;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The session side of a push: a session folder, link or file standing where a pushed file goes, holding content the
/// last sync did not write, is a conflict left alone (with force it is moved into a backup folder in the session),
/// never replaced or deleted; and a link the agent swaps in between the plan and the write is refused, not followed.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class PushTypeChangeTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task A_session_folder_where_a_pushed_file_goes_is_a_conflict_and_force_moves_it_to_a_backup_in_the_session()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("d", "a local file\n");
        local.Write("ok.txt", "ok\n");
        await Fixture.WriteAsync(session, ws, "d/own.txt", "the agent's own\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);

        Assert.Equal(["d"], result.Conflicts);
        Assert.Equal(["ok.txt"], result.FilesChanged);
        Assert.Equal("the agent's own\n", await Fixture.ExecAsync(session, "cat", ws + "/d/own.txt"));
        Assert.Equal("ok\n", await Fixture.ExecAsync(session, "cat", ws + "/ok.txt"));

        var forced = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude, force: true);

        Assert.Equal(["d"], forced.FilesChanged);
        Assert.Equal("a local file\n", await Fixture.ExecAsync(session, "cat", ws + "/d"));
        var backup = Assert.Single(forced.BackupRefs);
        var folder = backup[(backup.IndexOf(':', StringComparison.Ordinal) + 1)..];
        Assert.StartsWith(ws + "/.paude-backup-", folder, StringComparison.Ordinal);
        Assert.Equal("the agent's own\n", await Fixture.ExecAsync(session, "cat", folder + "/d/own.txt"));

        // What was moved aside stays in the session, out of every later sync.
        var again = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);
        Assert.Empty(again.FilesChanged);
        Assert.Empty(again.Conflicts);
    }

    [Theory]
    [InlineData(SyncStrategy.Exclude)]
    [InlineData(SyncStrategy.Merge)]
    public async Task A_dry_run_push_reports_the_type_conflicts_the_push_reports_and_changes_nothing(SyncStrategy strategy)
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("d", "a local file\n");
        local.Write("l", "local file over a session link\n");
        local.Write("ok.txt", "ok\n");
        await Fixture.WriteAsync(session, ws, "d/own.txt", "the agent's own\n");
        await Fixture.ExecAsync(session, "ln", "-s", "d/own.txt", ws + "/l");
        var sessionBefore = await Fixture.ExecAsync(session, "bash", "-c", "cd \"$1\" && find . -printf '%y %p %l\\n' | sort", "bash", ws);
        var localBefore = TreeSnapshot.Describe(local.Path);

        var dry = await SyncAsync(session, local, ws, SyncDirection.ToSession, strategy, dryRun: true);
        var forcedDry = await SyncAsync(session, local, ws, SyncDirection.ToSession, strategy, force: true, dryRun: true);

        Assert.Equal(["d", "l"], dry.Conflicts);
        Assert.Equal(["ok.txt"], dry.FilesChanged);
        Assert.Contains(forcedDry.Warnings, w => w.Contains("backup", StringComparison.Ordinal) && w.Contains('d') && w.Contains('l'));
        Assert.Equal(sessionBefore, await Fixture.ExecAsync(session, "bash", "-c", "cd \"$1\" && find . -printf '%y %p %l\\n' | sort", "bash", ws));
        Assert.Equal(localBefore, TreeSnapshot.Describe(local.Path));

        var real = await SyncAsync(session, local, ws, SyncDirection.ToSession, strategy);
        Assert.Equal(dry.Conflicts, real.Conflicts);
        Assert.Equal(dry.FilesChanged, real.FilesChanged);
    }

    [Fact]
    public async Task A_dry_run_git_push_reports_the_session_type_conflicts_the_push_reports_and_changes_nothing()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync("s2", local, ("a.txt", "a\n"));

        // The agent left the pushed branch: the push takes the full path, the one a dry run mirrors.
        await Fixture.GitAsync(session, ws, "checkout", "-q", "-b", "agent-side");
        local.Write("d", "a local file\n");
        local.Write("ok.txt", "ok\n");
        await Fixture.WriteAsync(session, ws, "d/own.txt", "the agent's own\n");
        var sessionBefore = await Fixture.ExecAsync(session, "bash", "-c", "cd \"$1\" && find . -path ./.git -prune -o -printf '%y %p %l\\n' | sort", "bash", ws);
        var localBefore = await local.StateAsync();

        var dry = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch, dryRun: true);
        var forcedDry = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch, force: true, dryRun: true);

        Assert.Equal(["d"], dry.Conflicts);
        Assert.Equal(["ok.txt"], dry.FilesChanged);
        Assert.Contains(forcedDry.Warnings, w => w.Contains("backup", StringComparison.Ordinal) && w.Contains('d'));
        Assert.Equal(sessionBefore, await Fixture.ExecAsync(session, "bash", "-c", "cd \"$1\" && find . -path ./.git -prune -o -printf '%y %p %l\\n' | sort", "bash", ws));
        Assert.Equal(localBefore, await local.StateAsync());

        var real = await PushAsync(session, local, ws);
        Assert.Equal(dry.Conflicts, real.Conflicts);
        Assert.Equal(dry.FilesChanged, real.FilesChanged);
    }

    [Fact]
    public async Task A_session_link_or_file_in_the_way_of_a_push_is_a_conflict()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("l", "local file over a session link\n");
        local.Write("f/x", "local file under a session file\n");
        await Fixture.WriteAsync(session, ws, "target.txt", "t\n");
        await Fixture.ExecAsync(session, "ln", "-s", "target.txt", ws + "/l");
        await Fixture.WriteAsync(session, ws, "f", "the agent's file\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Merge);

        Assert.Equal(["f/x", "l"], result.Conflicts);
        Assert.Equal("target.txt", (await Fixture.ExecAsync(session, "readlink", ws + "/l")).Trim());
        Assert.Equal("t\n", await Fixture.ExecAsync(session, "cat", ws + "/target.txt"));
        Assert.Equal("the agent's file\n", await Fixture.ExecAsync(session, "cat", ws + "/f"));
    }

    [Fact]
    public async Task A_file_the_last_push_wrote_becomes_a_folder_in_the_session_when_the_local_side_says_so()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("d", "a file\n");
        await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);
        File.Delete(Path.Combine(local.Path, "d"));
        local.Write("d/a.txt", "now a folder\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);

        Assert.Empty(result.Conflicts);
        Assert.Equal(["d"], result.FilesDeleted);
        Assert.Equal("now a folder\n", await Fixture.ExecAsync(session, "cat", ws + "/d/a.txt"));
    }

    /// <summary>
    /// A hostile session swaps a folder for a link to a place outside the workspace right before the files are placed
    /// (a planted <c>tar</c> that does its job, then swaps): the push must refuse typed, nothing written outside.
    /// </summary>
    [Fact]
    public async Task A_link_planted_between_the_plan_and_the_write_is_refused_and_nothing_is_written_outside()
    {
        var session = await Fixture.SessionAsync("race-place");
        var ws = NewSessionWorkspace();
        var outside = $"/tmp/outside-{Guid.NewGuid():N}";
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("sub/a.txt", "v1\n");
        await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);
        local.Write("sub/a.txt", "v2\n");
        local.Write("sub/new.txt", "new\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", outside);
        var swap = $"#!/bin/sh\n/usr/bin/tar \"$@\"; rc=$?\nif [ -d sub ] && [ ! -L sub ]; then mv sub sub.moved && ln -s {outside} sub; fi\nexit $rc\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes(swap)), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
        try
        {
            var ex = await Assert.ThrowsAsync<UnsafeContentException>(() => SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude));

            Assert.StartsWith("sub/", ex.Entry, StringComparison.Ordinal);
            Assert.Contains("link", ex.Message, StringComparison.Ordinal);
            Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "ls", "-A", outside)).Trim());
            Assert.Equal("v1\n", await Fixture.ExecAsync(session, "cat", ws + "/sub.moved/a.txt"));
        }
        finally
        {
            await Fixture.ExecAsRootAsync(session, null, "rm", "-f", "/usr/local/bin/tar");
        }
    }

    /// <summary>The same race against an incremental git push (its files are placed by the same program).</summary>
    [Fact]
    public async Task A_link_planted_before_an_incremental_push_places_its_files_is_refused()
    {
        var session = await Fixture.SessionAsync("race-git");
        var ws = NewSessionWorkspace();
        var outside = $"/tmp/outside-{Guid.NewGuid():N}";
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("sub/a.txt", "v1\n", "A");
        await PushAsync(session, local, ws);
        await local.CommitAsync("sub/a.txt", "v2\n", "B");
        await Fixture.ExecAsync(session, "mkdir", "-p", outside);
        var swap = $"#!/bin/sh\n/usr/bin/tar \"$@\"; rc=$?\nif [ -d sub ] && [ ! -L sub ]; then mv sub sub.moved && ln -s {outside} sub; fi\nexit $rc\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes(swap)), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
        try
        {
            var ex = await Assert.ThrowsAsync<UnsafeContentException>(() => PushAsync(session, local, ws));

            Assert.Equal("sub/a.txt", ex.Entry);
            Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "ls", "-A", outside)).Trim());
        }
        finally
        {
            await Fixture.ExecAsRootAsync(session, null, "rm", "-f", "/usr/local/bin/tar");
        }
    }
}
