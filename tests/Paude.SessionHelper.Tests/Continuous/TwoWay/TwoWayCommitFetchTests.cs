using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// Continuous git fetch beside two-way sync (<see cref="TwoWaySyncOptions.FetchCommits"/>) on a real Podman session:
/// commits the agent makes arrive on <c>paude/&lt;session&gt;</c> while watching, and a checked-out
/// <c>paude/&lt;session&gt;</c> is never moved (the refusal shows in the status instead).
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWayCommitFetchTests(PodmanHelperFixture fixture)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Commits_made_in_the_session_arrive_on_the_session_branch_while_watching()
    {
        using var local = await LocalRepo.CreateAsync();
        var mine = await local.CommitAsync("a.txt", "local", "local work");
        var ws = await SessionRepoAsync();
        await using var sync = await StartAsync(local.Path, ws);
        var branch = $"paude/{fixture.Session.Value}";

        var first = await SessionHeadAsync(ws);
        await EventuallyAsync(async () => await RefAsync(local, branch) == first);
        await fixture.ExecAsync("sh", "-c", $"cd {ws} && echo two > two.txt && git add -A && git -c user.name=A -c user.email=a@b commit -qm second");
        var second = await SessionHeadAsync(ws);
        await EventuallyAsync(async () => await RefAsync(local, branch) == second);

        Assert.Equal(mine, (await local.GitAsync("rev-parse", "HEAD")).Trim()); // the user's branch did not move
        Assert.True(sync.Status.CommitsFetched >= 2, $"status: {sync.Status}");
        Assert.Null(sync.Status.FetchError);
    }

    [Fact]
    public async Task Commits_are_fetched_over_the_open_helper_without_an_exec_of_their_own()
    {
        // The same Podman backend behind a counter of the processes started in sessions (every exec is one).
        var counter = ExecCounter.Create(fixture.Backend);
        var services = new ServiceCollection();
        services.AddPaude().AddBackend<ISessionBackend>("counted", (_, _) => (ISessionBackend)(object)counter).AddPaudeSync();
        await using var provider = services.BuildServiceProvider();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "local", "local work");
        var ws = await SessionRepoAsync();
        var branch = $"paude/{fixture.Session.Value}";
        await using var sync = await provider.GetRequiredService<IContinuousSync>().StartTwoWayAsync(fixture.Session, local.Path, new TwoWaySyncOptions
        {
            SessionWorkspace = ws, Backend = "counted", HelperBinary = fixture.HelperBinary, QuietPeriod = TimeSpan.FromMilliseconds(100),
            FetchCommits = true, FetchInterval = TimeSpan.FromMilliseconds(300), MaxRetryDelay = TimeSpan.FromSeconds(2),
        });

        await EventuallyAsync(async () => await RefAsync(local, branch) == await SessionHeadAsync(ws));
        for (var i = 0; i < 3; i++)
        {
            await fixture.ExecAsync("sh", "-c", $"cd {ws} && echo {i} > c{i}.txt && git add -A && git -c user.name=A -c user.email=a@b commit -qm c{i}");
            var head = await SessionHeadAsync(ws);
            await EventuallyAsync(async () => await RefAsync(local, branch) == head);
        }

        Assert.True(sync.Status.CommitsFetched >= 4, $"status: {sync.Status}");
        // One exec for the helper (two when the image's copy had to be replaced by an injected one); the exec path
        // would add one git-upload-pack per fetch (four here).
        Assert.InRange(counter.Count, 1, 2);
    }

    [Fact]
    public async Task A_checked_out_session_branch_is_never_moved_and_the_refusal_is_reported()
    {
        using var local = await LocalRepo.CreateAsync();
        var mine = await local.CommitAsync("a.txt", "local", "local work");
        var branch = $"paude/{fixture.Session.Value}";
        await local.GitAsync("checkout", "-q", "-b", branch);
        var ws = await SessionRepoAsync();
        await using var sync = await StartAsync(local.Path, ws);

        await EventuallyAsync(() => Task.FromResult(sync.Status.FetchError is not null));
        Assert.Contains("checked out", sync.Status.FetchError, StringComparison.Ordinal);
        Assert.Equal(mine, (await local.GitAsync("rev-parse", branch)).Trim());
        Assert.Equal($"refs/heads/{branch}", (await local.GitAsync("symbolic-ref", "HEAD")).Trim());
        Assert.Equal(0, sync.Status.CommitsFetched);
    }

    [Fact]
    public async Task The_branch_prefix_names_the_branch_the_commits_arrive_on()
    {
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "local", "local work");
        var ws = await SessionRepoAsync();
        await using var sync = await StartAsync(local.Path, ws, prefix: "agent/");

        var head = await SessionHeadAsync(ws);
        await EventuallyAsync(async () => await RefAsync(local, $"agent/{fixture.Session.Value}") == head);
        Assert.Null(await RefAsync(local, $"paude/{fixture.Session.Value}"));
    }

    [Fact]
    public async Task A_failed_fetch_is_tried_again_without_waiting_for_a_new_session_commit()
    {
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "local", "local work");
        var ws = await SessionRepoAsync();
        // A stale lock on the branch's ref (another git process, crashed): the first fetch cannot write the branch.
        var refs = Path.Combine(local.Path, ".git", "refs", "heads", "paude");
        Directory.CreateDirectory(refs);
        var lockFile = Path.Combine(refs, fixture.Session.Value + ".lock");
        File.WriteAllText(lockFile, "");
        await using var sync = await StartAsync(local.Path, ws);

        await EventuallyAsync(() => Task.FromResult(sync.Status.FetchError is not null));
        File.Delete(lockFile);

        var head = await SessionHeadAsync(ws); // the session's HEAD never moves again
        await EventuallyAsync(async () => await RefAsync(local, $"paude/{fixture.Session.Value}") == head);
        await EventuallyAsync(() => Task.FromResult(sync.Status.FetchError is null));
        Assert.True(sync.Status.CommitsFetched >= 1, $"status: {sync.Status}");
    }

    [Fact]
    public async Task Fetching_commits_into_a_folder_that_is_no_repository_is_refused_before_anything_runs()
    {
        using var plain = await LocalRepo.CreateAsync(git: false);
        var ws = await fixture.WorkspaceAsync();
        var error = await Assert.ThrowsAsync<Paude.Errors.InvalidOptionsException>(() => StartAsync(plain.Path, ws));
        Assert.Contains(error.Errors, e => e.StartsWith("FetchCommits:", StringComparison.Ordinal));
    }

    private async Task<string> SessionRepoAsync()
    {
        var ws = await fixture.WorkspaceAsync();
        await fixture.ExecAsync("sh", "-c", $"cd {ws} && git init -qb main && echo one > one.txt && git add -A && git -c user.name=A -c user.email=a@b commit -qm first");
        return ws;
    }

    private async Task<string> SessionHeadAsync(string ws) => (await fixture.ExecAsync("git", "-C", ws, "rev-parse", "HEAD")).Trim();

    private static async Task<string?> RefAsync(LocalRepo local, string branch)
    {
        try { return (await local.GitAsync("rev-parse", "--verify", "-q", branch)).Trim(); }
        catch (Exception) { return null; }
    }

    private Task<ITwoWaySync> StartAsync(string local, string ws, string prefix = "paude/") =>
        fixture.Continuous.StartTwoWayAsync(fixture.Session, local, new TwoWaySyncOptions
        {
            SessionWorkspace = ws,
            Backend = "podman",
            HelperBinary = fixture.HelperBinary,
            QuietPeriod = TimeSpan.FromMilliseconds(100),
            FetchCommits = true,
            FetchInterval = TimeSpan.FromMilliseconds(300),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
            BranchPrefix = prefix,
        });

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Within, "did not happen in time");
            await Task.Delay(100);
        }
    }
}
