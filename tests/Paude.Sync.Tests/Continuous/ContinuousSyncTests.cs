using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Paude.Sessions;
using Paude.Sync;
using Paude.Sync.Manifest;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Continuous;

/// <summary>
/// Continuous sync against a real Podman session and real files: local edits, additions and deletions arrive; bursts
/// are debounced; conflicts are reported and the session's copy kept; a stopped session is retried; cancellation is
/// prompt and leaves no lock.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class ContinuousSyncTests(SyncFixture fixture, ITestOutputHelper output) : SyncTestBase(fixture)
{
    private IContinuousSync Continuous => Fixture.Services.GetRequiredService<IContinuousSync>();

    private static ContinuousSyncOptions Options(string ws) => new()
    {
        SessionWorkspace = ws,
        QuietPeriod = TimeSpan.FromMilliseconds(300),
        RetryDelay = TimeSpan.FromMilliseconds(500),
        MaxRetryDelay = TimeSpan.FromSeconds(2),
    };

    private async Task<(SessionName Session, string Ws, LocalRepo Local)> SetUpAsync(string sessionName, bool git = true)
    {
        var session = await Fixture.SessionAsync(sessionName);
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        var local = await LocalRepo.CreateAsync(git);
        local.Write("a.txt", "a1\n");
        local.Write("dir/b.txt", "b1\n");
        local.Write("node_modules/dep.js", "never synced\n");
        if (git)
        {
            local.Write(".gitignore", "out/\n");
            await local.CommitAsync("README.md", "r\n", "X");
        }

        return (session, ws, local);
    }

    [Fact]
    public async Task Local_edits_additions_and_deletions_arrive_in_the_session_and_excluded_files_never_do()
    {
        var (session, ws, local) = await SetUpAsync("cw");
        using var _ = local;
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, Options(ws));

        var initial = await watch.NextAsync();
        Assert.Equal(ContinuousSyncTrigger.Initial, initial.Trigger);
        Assert.True(initial.Succeeded, RunningWatch.Describe(initial));
        Assert.Contains("a.txt", initial.Result!.FilesChanged);
        Assert.Equal("b1\n", await RunningWatch.SessionFileAsync(session, ws + "/dir/b.txt"));

        local.Write("a.txt", "a2\n");
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/a.txt") == "a2\n", "the edit of a.txt arrives");

        local.Write("new/c.txt", "c1\n");
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/new/c.txt") == "c1\n", "the new file arrives");

        File.Delete(Path.Combine(local.Path, "dir/b.txt"));
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/dir/b.txt") is null, "the deletion arrives");

        // Ignored and excluded content is never pushed, and changing only that starts no round.
        var rounds = watch.All.Count;
        local.Write("out/build.log", "ignored by .gitignore\n");
        local.Write("node_modules/more.js", "excluded by default\n");
        local.Write("last.txt", "marker\n");
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/last.txt") == "marker\n", "the marker arrives");
        Assert.Null(await RunningWatch.SessionFileAsync(session, ws + "/out/build.log"));
        Assert.Null(await RunningWatch.SessionFileAsync(session, ws + "/node_modules/dep.js"));
        Assert.Null(await RunningWatch.SessionFileAsync(session, ws + "/node_modules/more.js"));
        Assert.All(watch.All, r => Assert.True(r.Succeeded, RunningWatch.Describe(r)));
        Assert.DoesNotContain(watch.All.Skip(rounds), r => r.Result!.FilesChanged.Any(p => p.StartsWith("out/", StringComparison.Ordinal) || p.StartsWith("node_modules/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_burst_of_200_writes_becomes_few_rounds()
    {
        var (session, ws, local) = await SetUpAsync("cw", git: false);
        using var _ = local;
        // A quiet period of a second (not 300 ms): a writer preempted for longer than the quiet period on a loaded
        // machine splits the burst, and this test is about debouncing, not about the shortest quiet period.
        var options = new ContinuousSyncOptions { SessionWorkspace = ws, QuietPeriod = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10) };
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, options);
        await watch.NextAsync();

        for (var i = 0; i < 200; i++)
        {
            local.Write($"burst/f{i:000}.txt", $"content {i}\n");
        }

        // Counted from the rounds as they are reported (a round's files are in the session a moment before the round
        // itself is yielded, so polling the session and then reading the rounds recorded so far could miss the last).
        var burstRounds = new List<ContinuousSyncRound>();
        var pushed = 0;
        while (pushed < 200)
        {
            var round = await watch.NextAsync();
            burstRounds.Add(round);
            pushed += round.Result?.FilesChanged.Count(p => p.StartsWith("burst/", StringComparison.Ordinal)) ?? 0;
        }

        Assert.Equal(200, pushed);
        Assert.Equal("200", (await Fixture.ExecAsync(session, "bash", "-c", "ls -- \"$1\" | wc -l", "bash", ws + "/burst")).Trim());
        output.WriteLine(string.Join(Environment.NewLine, watch.All.Select(RunningWatch.Describe)));
        Assert.InRange(burstRounds.Count, 1, 3);
        Assert.True(burstRounds[0].Events >= 50, RunningWatch.Describe(burstRounds[0]));
    }

    [Fact]
    public async Task A_file_changed_in_the_session_and_locally_is_reported_as_a_conflict_the_session_copy_kept_and_the_loop_goes_on()
    {
        var (session, ws, local) = await SetUpAsync("cw");
        using var _ = local;
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, Options(ws));
        Assert.True((await watch.NextAsync()).Succeeded);

        await Fixture.WriteAsync(session, ws, "a.txt", "the agent's version\n");
        local.Write("a.txt", "my version\n");
        var conflicted = await watch.NextAsync(r => r.Result?.Conflicts.Count > 0);
        Assert.Equal(["a.txt"], conflicted.Result!.Conflicts);
        Assert.DoesNotContain("a.txt", conflicted.Result.FilesChanged);
        Assert.Equal("the agent's version\n", await RunningWatch.SessionFileAsync(session, ws + "/a.txt"));
        Assert.Equal("my version\n", local.Read("a.txt"));

        local.Write("dir/b.txt", "b2\n");
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/dir/b.txt") == "b2\n", "a later edit still arrives");
        Assert.Equal("the agent's version\n", await RunningWatch.SessionFileAsync(session, ws + "/a.txt"));
    }

    [Fact]
    public async Task A_session_stopped_mid_watch_is_reported_and_retried_and_after_start_the_loop_catches_up()
    {
        var (session, ws, local) = await SetUpAsync("cwstop", git: false);
        using var _ = local;
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, Options(ws));
        Assert.True((await watch.NextAsync()).Succeeded);

        await Fixture.Backend.StopAsync(session);
        try
        {
            local.Write("while-stopped.txt", "queued\n");
            var failed = await watch.NextAsync(r => !r.Succeeded);
            Assert.NotNull(failed.RetryIn);
            Assert.NotNull(failed.Error);
            var retried = await watch.NextAsync(r => r.Trigger == ContinuousSyncTrigger.Retry);
            Assert.False(retried.Succeeded);
            Assert.True(retried.RetryIn >= failed.RetryIn, "the back-off does not shrink while failing");
        }
        finally
        {
            await Fixture.Backend.StartAsync(session);
        }

        var recovered = await watch.NextAsync(r => r.Succeeded);
        output.WriteLine(string.Join(Environment.NewLine, watch.All.Select(RunningWatch.Describe)));
        Assert.Equal(ContinuousSyncTrigger.Retry, recovered.Trigger);
        Assert.Contains("while-stopped.txt", recovered.Result!.FilesChanged);
        Assert.Equal("queued\n", await RunningWatch.SessionFileAsync(session, ws + "/while-stopped.txt"));
    }

    [Fact]
    public async Task Cancellation_ends_the_enumeration_promptly_mid_round_or_idle_and_leaves_no_lock()
    {
        var (session, ws, local) = await SetUpAsync("cw");
        using var _ = local;
        var store = ManifestStore.For(local.Path, Path.Combine(local.Path, ".git"));

        // Cancelled while idle, between rounds.
        var idle = RunningWatch.Start(Continuous, session, local.Path, Options(ws));
        await idle.NextAsync();
        Assert.InRange(await idle.StopAsync(), TimeSpan.Zero, TimeSpan.FromSeconds(5));
        (await store.LockAsync(TimeSpan.Zero, TimeProvider.System, default)).Dispose();

        // Cancelled inside rounds, at several points of a push of 300 files: the round in flight may finish within the
        // grace period (a push cut mid-transfer could leave a partly written file in the session), then it stops.
        for (var i = 0; i < 300; i++)
        {
            local.Write($"many/f{i}.txt", new string('x', 10_000) + i);
        }

        var pushed = 0;
        var graceful = Options(ws) with { StopGracePeriod = TimeSpan.FromSeconds(15) };
        foreach (var after in new[] { 50, 250, 700 })
        {
            var busy = RunningWatch.Start(Continuous, session, local.Path, graceful);
            await Task.Delay(after);
            Assert.InRange(await busy.StopAsync(), TimeSpan.Zero, TimeSpan.FromSeconds(20));
            // A round in flight when stopping was let finish and reported (unless the stop came before it started).
            Assert.InRange(busy.All.Count, 0, 1);
            Assert.All(busy.All, r => Assert.True(r.Succeeded, RunningWatch.Describe(r)));
            pushed += busy.All.Sum(r => r.Result!.FilesChanged.Count);

            Assert.True(busy.Loop.IsCompletedSuccessfully, "cancellation ends the enumeration without an exception");
            (await store.LockAsync(TimeSpan.Zero, TimeProvider.System, default)).Dispose();
            Assert.Empty(Directory.EnumerateDirectories(local.Path, "*paude-staging*", SearchOption.AllDirectories));
            await busy.DisposeAsync();
        }

        // A later sync finds both sides consistent (no half-written file shows up as a conflict) and completes the push.
        var done = await Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = ws });
        Assert.Empty(done.Conflicts);
        Assert.Equal(300, pushed + done.FilesChanged.Count);
        Assert.Equal("300", (await Fixture.ExecAsync(session, "bash", "-c", "ls -- \"$1\" | wc -l", "bash", ws + "/many")).Trim());
    }
}
