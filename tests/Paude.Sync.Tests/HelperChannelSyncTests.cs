using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// One-shot syncs through the session helper kept open between them (<see cref="SyncOptions.UseSessionHelper"/>):
/// pushes of files and fetches of commits start no exec after the helper's own, keep every refusal of the exec paths,
/// and fall back to those paths when the image has no helper.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class HelperChannelSyncTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task Pushes_and_fetches_run_over_one_helper_that_stays_open_between_syncs()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("gone.txt", "uploaded, then deleted\n"), ("a.txt", "a\n"));
        Assert.Empty(await HelpersAsync(session, ws));

        local.Write("a.txt", "edited\n");
        local.Write("new/deep/b.txt", "new file\n");
        var pushed = await HelperSyncAsync(session, local, ws, SyncDirection.ToSession);
        Assert.Equal(["a.txt", "new/deep/b.txt"], pushed.FilesChanged);
        Assert.Equal("edited\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal("new file\n", await Fixture.ExecAsync(session, "cat", ws + "/new/deep/b.txt"));
        var helpers = await HelpersAsync(session, ws);
        Assert.Single(helpers);

        File.Delete(Path.Combine(local.Path, "new/deep/b.txt"));
        var deleted = await HelperSyncAsync(session, local, ws, SyncDirection.ToSession);
        Assert.Equal(["new/deep/b.txt"], deleted.FilesDeleted);
        Assert.Equal("absent", (await Fixture.ExecAsync(session, "bash", "-c", "if test -e \"$1\"; then echo present; else echo absent; fi", "bash", ws + "/new/deep/b.txt")).Trim());

        await Fixture.GitAsync(session, ws, "-c", "user.name=agent", "-c", "user.email=agent@example.com", "commit", "-q", "-am", "agent commit");
        var head = (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim();
        var fetched = await HelperSyncAsync(session, local, ws, SyncDirection.FromSession);
        Assert.Equal(1, fetched.CommitsTransferred);
        Assert.Equal(head, fetched.Commit);
        Assert.Equal(head, (await local.GitAsync("rev-parse", $"paude/{session.Value}")).Trim());

        // The same helper process served every sync since the first: none started, none left behind.
        Assert.Equal(helpers, await HelpersAsync(session, ws));
    }

    [Fact]
    public async Task An_agent_edit_at_a_path_the_push_replaces_is_refused_by_name_and_nothing_changes()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"), ("b.txt", "b\n"));

        await AssertPushRefusedOverAgentEditsAsync(session, ws, local, () => HelperSyncAsync(session, local, ws, SyncDirection.ToSession),
            agent: [("a.txt", "agent edit\n"), ("notes.txt", "the agent's notes\n")],
            user: [("a.txt", "user edit\n"), ("b.txt", "user edit of b\n"), ("notes.txt", "the user's notes\n")],
            unchanged: [("b.txt", "b\n")]);
    }

    [Fact]
    public async Task A_session_at_another_commit_takes_the_full_path_through_the_helper_as_well()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));
        await Fixture.WriteAsync(session, ws, "c.txt", "agent\n");
        await Fixture.GitAsync(session, ws, "add", "c.txt");
        await Fixture.GitAsync(session, ws, "-c", "user.name=agent", "-c", "user.email=agent@example.com", "commit", "-q", "-m", "agent commit");

        local.Write("a.txt", "user edit\n");
        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => HelperSyncAsync(session, local, ws, SyncDirection.ToSession));
        Assert.Contains("1 commit(s)", refused.Message, StringComparison.Ordinal);
        Assert.Equal("a\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
    }

    [Fact]
    public async Task Without_a_helper_in_the_image_the_exec_paths_do_the_work()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync("nohelper", local, ("a.txt", "a\n"));
        await Fixture.ExecAsRootAsync(session, null, "rm", "-f", "/usr/local/lib/paude-helper/paude-session-helper");

        local.Write("a.txt", "edited\n");
        var pushed = await HelperSyncAsync(session, local, ws, SyncDirection.ToSession);
        Assert.Equal(["a.txt"], pushed.FilesChanged);
        Assert.Equal("edited\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));

        await Fixture.GitAsync(session, ws, "-c", "user.name=agent", "-c", "user.email=agent@example.com", "commit", "-q", "-am", "agent commit");
        var fetched = await HelperSyncAsync(session, local, ws, SyncDirection.FromSession);
        Assert.Equal(1, fetched.CommitsTransferred);
        Assert.Equal((await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim(), fetched.Commit);
    }

    [Theory]
    [InlineData("write-wrong-hash")]
    [InlineData("read-wrong-hash")]
    [InlineData("write-other-reply")]
    [InlineData("write-oversized")]
    [InlineData("write-stall")]
    public async Task A_helper_that_lies_about_a_push_is_dropped_and_the_exec_path_pushes_what_it_can_verify(string scenario)
    {
        // The agent replaced the image's helper by one that forges the replies of reads and writes (lying-helper.pl).
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync("lyinghelper", local, ("a.txt", "a\n"));
        await PlantLyingHelperAsync(session, scenario);

        local.Write("a.txt", "edited\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // The reply timeout is generous for the healthy replies and exec path under CI load (a 3 s bound could be
        // missed by a healthy stream there); the stalled helper waits 600 s, so only the timeout can end it in time.
        var replyTimeout = TimeSpan.FromSeconds(15);
        var pushed = await HelperSyncAsync(session, local, ws, SyncDirection.ToSession, replyTimeout).WaitAsync(TimeSpan.FromMinutes(3));

        // The lie ended the helper within the reply timeout; the script re-checked the session and pushed.
        Assert.Equal(["a.txt"], pushed.FilesChanged);
        Assert.True(clock.Elapsed < replyTimeout + TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Equal("edited\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Contains($"forged {scenario}\n", await Fixture.ExecAsync(session, "cat", "/tmp/lying-helper.log"), StringComparison.Ordinal);
        // What was recorded as pushed is what the session holds: the next push has nothing to send.
        var again = await Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, SessionWorkspace = ws }, null, CancellationToken.None);
        Assert.Empty(again.FilesChanged);
        Assert.Empty(again.FilesDeleted);
    }

    /// <summary>Puts lying-helper.pl (forging <paramref name="scenario"/>) in front of the image's helper, at its path.</summary>
    private async Task PlantLyingHelperAsync(Paude.Sessions.SessionName session, string scenario)
    {
        const string dir = "/usr/local/lib/paude-helper";
        await using (var script = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "lying-helper.pl")))
        {
            await Fixture.ExecAsRootAsync(session, script, "sh", "-c", $"cat > {dir}/lying-helper.pl && chmod 755 {dir}/lying-helper.pl");
        }

        var wrapper = $"#!/bin/sh\nexec perl {dir}/lying-helper.pl {scenario} {dir}/real-helper /tmp/lying-helper.log\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(System.Text.Encoding.ASCII.GetBytes(wrapper)), "sh", "-c",
            $"test -e {dir}/real-helper || cp {dir}/paude-session-helper {dir}/real-helper; cat > {dir}/wrapper.new && chmod 755 {dir}/wrapper.new && mv -f {dir}/wrapper.new {dir}/paude-session-helper");
    }

    private Task<SyncResult> HelperSyncAsync(Paude.Sessions.SessionName session, LocalRepo local, string ws, SyncDirection direction, TimeSpan? replyTimeout = null) =>
        Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions { Direction = direction, SessionWorkspace = ws, UseSessionHelper = true, StreamIdleTimeout = replyTimeout ?? TimeSpan.FromSeconds(60) }, null, CancellationToken.None);

    /// <summary>The pids of the session helpers serving <paramref name="ws"/> (each holds its workspace open).</summary>
    private async Task<List<string>> HelpersAsync(Paude.Sessions.SessionName session, string ws) =>
        [.. (await Fixture.ExecAsync(session, "bash", "-c", "for p in $(pgrep -x paude-session-h); do if ls -l /proc/$p/fd 2>/dev/null | grep -qF -- \"-> $1\"; then echo $p; fi; done", "bash", ws)).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
