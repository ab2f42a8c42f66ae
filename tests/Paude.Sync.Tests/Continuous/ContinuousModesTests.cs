using Microsoft.Extensions.DependencyInjection;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Continuous;

/// <summary>
/// Continuous sync beyond the default: the rescan alone (file-system events off), the branch strategy (local commits
/// follow), and pulling the session's file changes back on an interval — each against a real Podman session.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class ContinuousModesTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    private IContinuousSync Continuous => Fixture.Services.GetRequiredService<IContinuousSync>();

    [Fact]
    public async Task Without_file_system_events_the_periodic_rescan_still_pushes_every_change()
    {
        var session = await Fixture.SessionAsync("cw");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "1\n");
        var options = new ContinuousSyncOptions { SessionWorkspace = ws, RescanInterval = TimeSpan.FromSeconds(1), FileSystemEvents = false };
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, options);
        Assert.True((await watch.NextAsync()).Succeeded);

        local.Write("a.txt", "2\n");
        local.Write("deep/new/b.txt", "b\n");

        // The rescan may run between the two writes: then a.txt comes in one round and b.txt in the next.
        var changed = new List<string>();
        while (!changed.Contains("deep/new/b.txt"))
        {
            var round = await watch.NextAsync(r => r.Result?.FilesChanged.Count > 0);
            Assert.Equal(ContinuousSyncTrigger.Rescan, round.Trigger);
            changed.AddRange(round.Result!.FilesChanged);
        }

        Assert.Equal(["a.txt", "deep/new/b.txt"], changed.Order(StringComparer.Ordinal));
        Assert.Equal("2\n", await RunningWatch.SessionFileAsync(session, ws + "/a.txt"));
        Assert.Equal("b\n", await RunningWatch.SessionFileAsync(session, ws + "/deep/new/b.txt"));
        Assert.All(watch.All.Skip(1), r => Assert.Equal(ContinuousSyncTrigger.Rescan, r.Trigger));
    }

    [Fact]
    public async Task With_the_branch_strategy_local_commits_and_uncommitted_files_follow_into_the_session()
    {
        var session = await Fixture.SessionAsync("cw");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("README.md", "r\n", "X");
        var options = new ContinuousSyncOptions { SessionWorkspace = ws, Strategy = SyncStrategy.Branch, QuietPeriod = TimeSpan.FromMilliseconds(300) };
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, options);
        var initial = await watch.NextAsync();
        Assert.True(initial.Succeeded, RunningWatch.Describe(initial));
        Assert.Equal(1, initial.Result!.CommitsTransferred);

        var head = await local.CommitAsync("src/feature.txt", "feature\n", "Add feature");
        await RunningWatch.EventuallyAsync(async () => (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim() == head, "the local commit becomes the session's HEAD");
        Assert.Equal("feature\n", await RunningWatch.SessionFileAsync(session, ws + "/src/feature.txt"));

        local.Write("notes.txt", "uncommitted\n");
        await RunningWatch.EventuallyAsync(async () => await RunningWatch.SessionFileAsync(session, ws + "/notes.txt") == "uncommitted\n", "the uncommitted file arrives");
        Assert.All(watch.All, r => Assert.True(r.Succeeded, RunningWatch.Describe(r)));
    }

    [Fact]
    public async Task With_a_pull_interval_session_changes_come_back_and_a_file_changed_on_both_sides_is_left_alone_on_both()
    {
        var session = await Fixture.SessionAsync("cw");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("both.txt", "base\n");
        await Fixture.Sync.SyncAsync(session, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Exclude, SessionWorkspace = ws });
        await Fixture.WriteAsync(session, ws, "both.txt", "agent\n");
        local.Write("both.txt", "mine\n");

        var options = new ContinuousSyncOptions { SessionWorkspace = ws, QuietPeriod = TimeSpan.FromMilliseconds(300), PullInterval = TimeSpan.FromSeconds(1) };
        await using var watch = RunningWatch.Start(Continuous, session, local.Path, options);
        var push = await watch.NextAsync();
        Assert.Equal(["both.txt"], push.Result!.Conflicts);
        var pull = await watch.NextAsync(r => r.Trigger == ContinuousSyncTrigger.Pull);
        Assert.Equal(SyncDirection.FromSession, pull.Result!.Direction);
        Assert.Equal(["both.txt"], pull.Result.Conflicts);
        Assert.Equal("mine\n", local.Read("both.txt"));
        Assert.Equal("agent\n", await RunningWatch.SessionFileAsync(session, ws + "/both.txt"));

        await Fixture.WriteAsync(session, ws, "from-agent/report.md", "written by the agent\n");

        // Wait for the round itself: its files land locally a moment before the round is yielded.
        var pulled = await watch.NextAsync(r => r.Trigger == ContinuousSyncTrigger.Pull && r.Result?.FilesChanged.Contains("from-agent/report.md") == true);
        Assert.Equal("written by the agent\n", local.Read("from-agent/report.md"));
        Assert.Equal(["both.txt"], pulled.Result!.Conflicts);
        Assert.Equal("mine\n", local.Read("both.txt"));
    }
}
