using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>The exclude strategy: working files only, three-way per file against the last sync, history untouched.</summary>
public abstract partial class SyncConformanceTests
{
    [Fact]
    public async Task Exclude_takes_session_only_changes_keeps_local_only_changes_and_reports_a_file_changed_on_both_sides()
    {
        var session = await Sessions.SessionAsync("s1");
        var ws = SyncSessions.NewWorkspace();
        using var local = await LocalRepo.CreateAsync();
        local.Write("only-session.txt", "base\n");
        local.Write("only-local.txt", "base\n");
        local.Write("both.txt", "base\n");
        await local.CommitAsync("README.md", "r\n", "X");
        await PushAsync(session, local, ws);
        var head = await local.GitAsync("rev-parse", "HEAD");

        await Sessions.WriteAsync(session, ws, "only-session.txt", "session\n");
        await Sessions.WriteAsync(session, ws, "both.txt", "session\n");
        await Sessions.WriteAsync(session, ws, "new/in-session.txt", "new\n");
        await Sessions.GitAsync(session, ws, "commit", "-q", "-am", "session history is not synced by exclude");
        local.Write("only-local.txt", "local\n");
        local.Write("both.txt", "local\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);

        Assert.Equal(["new/in-session.txt", "only-session.txt"], result.FilesChanged);
        Assert.Equal(["both.txt"], result.Conflicts);
        Assert.Equal("session\n", local.Read("only-session.txt"));
        Assert.Equal("new\n", local.Read("new/in-session.txt"));
        Assert.Equal("local\n", local.Read("only-local.txt"));
        Assert.Equal("local\n", local.Read("both.txt"));
        Assert.Equal(head, await local.GitAsync("rev-parse", "HEAD"));
        Assert.Equal("main", await local.GitAsync("branch", "--show-current"));

        // The other way: only the local-only change goes over; the conflict is still reported, not overwritten.
        var back = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);
        Assert.Equal(["only-local.txt"], back.FilesChanged);
        Assert.Equal(["both.txt"], back.Conflicts);
        Assert.Equal("local\n", await Sessions.ExecAsync(session, "cat", ws + "/only-local.txt"));
        Assert.Equal("session\n", await Sessions.ExecAsync(session, "cat", ws + "/both.txt"));
    }
}
