using Paude.Execution;
using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>Local → session: incremental, never destroys the session's own work unless forced (and then keeps it).</summary>
public abstract partial class SyncConformanceTests
{
    [Fact]
    public async Task Push_is_incremental_and_the_first_push_never_deletes_session_files()
    {
        var session = await Sessions.SessionAsync("s3");
        var ws = SyncSessions.NewWorkspace();
        await Sessions.ExecAsync(session, "mkdir", "-p", ws);
        await Sessions.WriteAsync(session, ws, "already-there.txt", "session file\n");
        using var local = await LocalRepo.CreateAsync();
        for (var i = 0; i < 20; i++)
        {
            local.Write($"src/file{i}.txt", $"content {i}\n");
        }

        await local.CommitAsync("README.md", "r\n", "X");
        local.Write("src/file3.txt", "edited, not committed\n");
        File.Delete(Path.Combine(local.Path, "src/file4.txt"));

        var first = await PushAsync(session, local, ws);
        Assert.Equal(["src/file3.txt"], first.FilesChanged);
        Assert.Empty(first.FilesDeleted);
        Assert.Contains(first.Warnings, w => w.Contains("src/file4.txt", StringComparison.Ordinal));
        Assert.Equal("session file\n", await Sessions.ExecAsync(session, "cat", ws + "/already-there.txt"));
        Assert.Equal("content 4\n", await Sessions.ExecAsync(session, "cat", ws + "/src/file4.txt"));

        // The second push propagates the local deletion (the first one only warned) and sends no content.
        var deletion = await PushAsync(session, local, ws);
        Assert.Empty(deletion.FilesChanged);
        Assert.Equal(["src/file4.txt"], deletion.FilesDeleted);
        Assert.Equal(1, (await Sessions.Backend.ExecAsync(session, ["test", "-e", ws + "/src/file4.txt"])).ExitCode);

        var unchanged = await PushAsync(session, local, ws);
        Assert.Empty(unchanged.FilesChanged);
        Assert.Empty(unchanged.FilesDeleted);
        Assert.Equal(0, unchanged.CommitsTransferred);
        Assert.Equal(0, unchanged.BytesMoved);

        local.Write("src/file7.txt", "another edit\n");
        var second = await PushAsync(session, local, ws);
        Assert.Equal(["src/file7.txt"], second.FilesChanged);
        Assert.Empty(second.FilesDeleted);
        Assert.Equal("another edit\n", await Sessions.ExecAsync(session, "cat", ws + "/src/file7.txt"));

        // Committing the uploaded edits: the session follows the new commit (our uploads are ours to replace).
        await local.GitAsync("add", "-A");
        await local.GitAsync("commit", "-q", "-m", "Y");
        var third = await PushAsync(session, local, ws);
        Assert.Equal(1, third.CommitsTransferred);
        Assert.Equal(await local.GitAsync("rev-parse", "HEAD"), (await Sessions.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("?? already-there.txt", (await Sessions.GitAsync(session, ws, "status", "--porcelain")).Trim());
    }

    [Fact]
    public async Task Push_refuses_to_replace_session_commits_or_session_edits_unless_forced_and_then_keeps_them()
    {
        var session = await Sessions.SessionAsync("s3");
        var ws = SyncSessions.NewWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("f.txt", "1\n", "X");
        await PushAsync(session, local, ws);
        var s1 = await Sessions.CommitAsync(session, ws, "f.txt", "session\n", "S1");
        await local.CommitAsync("f.txt", "local\n", "L1");

        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Contains(s1[..10] + " S1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(s1, (await Sessions.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());

        var forced = await PushAsync(session, local, ws, force: true);
        Assert.Equal(s1, await local.GitAsync("rev-parse", Assert.Single(forced.BackupRefs)));
        Assert.Equal(await local.GitAsync("rev-parse", "HEAD"), (await Sessions.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());

        await Sessions.WriteAsync(session, ws, "f.txt", "agent is editing\n");
        local.Write("f.txt", "user is editing\n");
        var dirty = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(["f.txt"], dirty.PathsAtRisk);
        Assert.Equal("agent is editing\n", await Sessions.ExecAsync(session, "cat", ws + "/f.txt"));
    }
}
