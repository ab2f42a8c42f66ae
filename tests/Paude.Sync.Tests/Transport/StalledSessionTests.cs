using System.Diagnostics;
using System.Text;
using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// A session that sends part of a stream and then goes quiet (issue 12: "session commands during a sync have no
/// timeout") must not hang the host: after <see cref="SyncOptions.StreamIdleTimeout"/> without a byte the sync fails
/// typed and nothing is written. Planted programs in the session send a real stream's first bytes, then sleep.
/// <para>
/// Timing by design, not by luck: the healthy parts of each sync (exec start, the bytes before the stall) get a
/// generous idle bound, <see cref="Idle"/> (a 3 s bound failed at load 45–60 when a healthy stream paused longer), the
/// planted programs stall for <see cref="Stall"/>, far longer than that bound and than <see cref="GiveUp"/>, and each
/// error must name the stream that was stalled, so a healthy stream timing out fails the test instead of passing it.
/// Own collection (own containers): these tests mostly wait, beside the busy sync collections.
/// </para>
/// </summary>
[Collection(SyncStallGroup.Name)]
public sealed class StalledSessionTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(20);

    /// <summary>How long the planted programs stay silent: a sync that waited for them would end only after this.</summary>
    private const int Stall = 900;

    /// <summary>Before the idle timeout these syncs hung for ever; the test gives up long before the stall ends.</summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromMinutes(3);

    /// <summary>The idle timeout fired, not the outer bound: well within <see cref="GiveUp"/> and the stall.</summary>
    private static readonly TimeSpan FailsWithin = Idle + TimeSpan.FromSeconds(70);

    [Fact]
    public async Task A_file_download_that_stops_mid_archive_fails_typed_and_writes_nothing()
    {
        var session = await Fixture.SessionAsync("stall-tar");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("keep.txt", "local\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.WriteAsync(session, ws, "big.txt", new string('x', 100_000));
        await Fixture.WriteAsync(session, ws, "small.txt", "small\n");
        // The real archive's first 3,000 bytes (a header and part of big.txt), then silence with stdout open.
        var stall = "#!/bin/sh\n/usr/bin/tar \"$@\" | head -c 3000\nexec sleep " + Stall + "\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.UTF8.GetBytes(stall)), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
        var before = TreeSnapshot.Describe(local.Path);

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => StalledSyncAsync(session, local, ws, SyncStrategy.Merge));

        AssertNames($"sent nothing for {Idle.TotalSeconds:0} s during a file download (SyncOptions.StreamIdleTimeout)", ex);
        Assert.True(clock.Elapsed < FailsWithin, $"the stalled download took {clock.Elapsed.TotalSeconds:F0} s to fail");
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));
    }

    [Fact]
    public async Task A_git_fetch_that_stops_mid_answer_fails_typed_and_writes_nothing()
    {
        var session = await Fixture.SessionAsync("stall-fetch");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("local.txt", "local\n", "L");
        // The start of a protocol v2 advertisement, then silence with stdout open.
        var stall = "#!/bin/sh\nprintf '000eversion 2\\n0013agent=git/2.4'\nexec sleep " + Stall + "\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes(stall)), "sh", "-c", "cat > /usr/local/bin/git-upload-pack && chmod 755 /usr/local/bin/git-upload-pack");
        var state = await local.StateAsync();
        var objects = TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects"));

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => StalledSyncAsync(session, local, ws, SyncStrategy.Branch));

        AssertNames($"sent nothing for {Idle.TotalSeconds:0} s during a git fetch (SyncOptions.StreamIdleTimeout)", ex);
        Assert.True(clock.Elapsed < FailsWithin, $"the stalled fetch took {clock.Elapsed.TotalSeconds:F0} s to fail");
        Assert.Equal(state, await local.StateAsync());
        Assert.Equal(objects, TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects")));
    }

    [Fact]
    public async Task A_file_upload_the_session_never_answers_fails_typed()
    {
        var session = await Fixture.SessionAsync("mute-upload");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "a\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await PlantMuteTarAsync(session);

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => StalledSyncAsync(session, local, ws, SyncStrategy.Merge, SyncDirection.ToSession));

        AssertNames($"did not answer within {Idle.TotalSeconds:0} s after a file upload was sent (SyncOptions.StreamIdleTimeout)", ex);
        Assert.True(clock.Elapsed < FailsWithin, $"the unanswered upload took {clock.Elapsed.TotalSeconds:F0} s to fail");
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ws + "/a.txt"])).ExitCode);
    }

    [Fact]
    public async Task A_first_git_push_the_session_never_answers_fails_typed()
    {
        var session = await Fixture.SessionAsync("mute-push");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "A");
        await PlantMuteTarAsync(session);

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => StalledSyncAsync(session, local, ws, SyncStrategy.Branch, SyncDirection.ToSession));

        AssertNames($"did not answer within {Idle.TotalSeconds:0} s after the first push was sent (SyncOptions.StreamIdleTimeout)", ex);
        Assert.True(clock.Elapsed < FailsWithin, $"the unanswered push took {clock.Elapsed.TotalSeconds:F0} s to fail");
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ws + "/a.txt"])).ExitCode);
    }

    /// <summary>
    /// The divergence check of a push into an existing session repository fetches with libgit2 (protocol v0): its
    /// blocking reads had no idle bound, so an upload-pack that never speaks hung the push.
    /// </summary>
    [Fact]
    public async Task A_libgit2_fetch_that_never_answers_fails_typed()
    {
        var session = await Fixture.SessionAsync("mute-fetch");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "A");
        await Fixture.ExecAsync(session, "bash", "-c",
            "git init -q -b main \"$1\" && cd \"$1\" && echo s > s.txt && git add s.txt && git -c user.name=s -c user.email=s@s commit -q -m S", "bash", ws);
        var stall = "#!/bin/sh\nexec sleep " + Stall + "\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes(stall)), "sh", "-c", "cat > /usr/local/bin/git-upload-pack && chmod 755 /usr/local/bin/git-upload-pack");
        var state = await local.StateAsync();

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => StalledSyncAsync(session, local, ws, SyncStrategy.Branch, SyncDirection.ToSession));

        AssertNames($"sent nothing for {Idle.TotalSeconds:0} s during a git transfer (SyncOptions.StreamIdleTimeout)", ex);
        Assert.True(clock.Elapsed < FailsWithin, $"the stalled libgit2 fetch took {clock.Elapsed.TotalSeconds:F0} s to fail");
        Assert.Equal(state, await local.StateAsync());
        Assert.Equal("s.txt", (await Fixture.ExecAsync(session, "git", "-C", ws, "ls-files")).Trim());
    }

    [Fact]
    public void The_idle_timeout_must_be_positive()
    {
        var errors = new SyncOptions { StreamIdleTimeout = TimeSpan.Zero }.GetErrors();
        Assert.Contains(errors, e => e.StartsWith("StreamIdleTimeout:", StringComparison.Ordinal));
    }

    /// <summary>The error names the stalled stream and the bound (the whole message when not: CI output cuts it short).</summary>
    private static void AssertNames(string expected, SyncTransportException ex) =>
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in: {ex.Message}");

    /// <summary>A <c>tar</c> in the session that reads the whole push, then never answers (stdout stays open).</summary>
    private Task PlantMuteTarAsync(SessionName session) =>
        Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes("#!/bin/sh\ncat > /dev/null\nexec sleep " + Stall + "\n")), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");

    private Task<SyncResult> StalledSyncAsync(SessionName session, LocalRepo local, string ws, SyncStrategy strategy, SyncDirection direction = SyncDirection.FromSession) =>
        Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions
        {
            Direction = direction,
            Strategy = strategy,
            SessionWorkspace = ws,
            StreamIdleTimeout = Idle,
        }, null, CancellationToken.None).WaitAsync(GiveUp);
}
