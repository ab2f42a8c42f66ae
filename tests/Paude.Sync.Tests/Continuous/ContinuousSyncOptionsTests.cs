using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;
using Paude.Sync.Continuous;
using Paude.Sync.Files;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Continuous;

/// <summary>Continuous sync without a session: option validation, and which file-system events count (real files).</summary>
public sealed class ContinuousSyncOptionsTests
{
    [Fact]
    public void Invalid_options_list_every_problem_together()
    {
        var options = new ContinuousSyncOptions
        {
            Strategy = SyncStrategy.Overwrite,
            SessionWorkspace = "relative",
            Excludes = ["../up"],
            QuietPeriod = TimeSpan.FromSeconds(10),
            MaxDelay = TimeSpan.FromSeconds(1),
            RescanInterval = TimeSpan.Zero,
            RetryDelay = TimeSpan.FromSeconds(-1),
            PullInterval = TimeSpan.Zero,
        };

        var error = Assert.Throws<InvalidOptionsException>(options.Validate);

        Assert.Equal(
        [
            "Strategy: continuous sync pushes with exclude or branch, not 'Overwrite'",
            "SessionWorkspace: 'relative' must be an absolute path without '.' or '..' segments",
            "Excludes: '../up' must be a relative name, glob or path without '..'",
            "RescanInterval: must be more than zero and at most one day",
            "RetryDelay: must be more than zero and at most one day",
            "PullInterval: must be more than zero and at most one day",
            "PullInterval: pulling back needs the exclude strategy",
            "MaxDelay: must be at least QuietPeriod (10000 ms)",
        ], error.Errors);
        Assert.Empty(new ContinuousSyncOptions().GetErrors());
    }

    [Fact]
    public async Task Bad_input_fails_at_the_call_before_anything_runs()
    {
        using var services = new ServiceCollection().AddPaude().AddPodmanBackend().AddPaudeSync().Services.BuildServiceProvider();
        var sync = services.GetRequiredService<IContinuousSync>();
        var session = SessionName.Parse("never-created");
        using var plain = await LocalRepo.CreateAsync(git: false);

        Assert.Throws<InvalidOptionsException>(() => sync.WatchToSessionAsync(session, Path.Combine(plain.Path, "missing"), new ContinuousSyncOptions()));
        Assert.Throws<NotAGitRepositoryException>(() => sync.WatchToSessionAsync(session, plain.Path, new ContinuousSyncOptions { Strategy = SyncStrategy.Branch }));
        Assert.Throws<InvalidOptionsException>(() => sync.WatchToSessionAsync(session, plain.Path, new ContinuousSyncOptions { QuietPeriod = TimeSpan.FromDays(2) }));
        Assert.Same(sync, services.GetRequiredService<IContinuousSync>());
    }

    [Theory]
    [InlineData("src/a.cs", false, true)]
    [InlineData("node_modules/x/index.js", false, false)]
    [InlineData("bin/Debug/app.dll", false, false)]
    [InlineData(".git/paude/sync-manifest.json", true, false)]
    [InlineData(".git/objects/ab/cdef", true, false)]
    [InlineData(".git/refs/heads/main", true, true)]
    [InlineData(".git/refs/heads/main.lock", true, false)]
    [InlineData(".git/HEAD", false, false)]
    [InlineData(".git/HEAD", true, true)]
    [InlineData("x.paude-staging-0123/a", false, false)]
    public void Only_events_a_push_cares_about_count(string path, bool pushesCommits, bool relevant) =>
        Assert.Equal(relevant, WorkspaceWatcher.IsRelevant(path, new PathRules([]), pushesCommits));

    [Fact]
    public async Task The_watcher_reports_real_writes_but_not_the_syncs_own_state_files()
    {
        using var local = await LocalRepo.CreateAsync();
        using var watcher = new WorkspaceWatcher(local.Path, new PathRules([]), watchGitRefs: false, TimeProvider.System);
        Assert.Null(watcher.Unavailable);

        Directory.CreateDirectory(Path.Combine(local.Path, ".git", "paude"));
        File.WriteAllText(Path.Combine(local.Path, ".git", "paude", "sync-manifest.json"), "{}");
        local.Write("node_modules/dep.js", "x");
        Assert.False(await watcher.WaitAsync(TimeSpan.FromMilliseconds(500), default), "state and excluded files wake nothing");

        // A new folder is an event of its own; files written into it before its watch exists may not be (hence the
        // rescan, and each round scanning everything), so the file is written once the folder's event was seen.
        Directory.CreateDirectory(Path.Combine(local.Path, "src"));
        Assert.True(await watcher.WaitAsync(TimeSpan.FromSeconds(10), default));
        Assert.Equal(["src"], watcher.Take().Paths!);
        local.Write("src/real.txt", "y");
        Assert.True(await watcher.WaitAsync(TimeSpan.FromSeconds(10), default));
        var (events, paths, overflowed) = watcher.Take();
        Assert.False(overflowed);
        Assert.True(events > 0);
        Assert.Contains("src/real.txt", paths!);
        Assert.DoesNotContain(paths!, p => p.StartsWith(".git", StringComparison.Ordinal) || p.StartsWith("node_modules", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_wait_for_events_runs_on_the_injected_clock()
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        var time = new FakeTimeProvider();
        using var watcher = new WorkspaceWatcher(local.Path, new PathRules([]), watchGitRefs: false, time);
        var waiting = watcher.WaitAsync(TimeSpan.FromMinutes(10), default);
        Assert.False(waiting.IsCompleted);

        time.Advance(TimeSpan.FromMinutes(10));

        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)), "ten fake minutes pass at once: the wait times out without an event");
        local.Write("x.txt", "x");
        Assert.True(await watcher.WaitAsync(TimeSpan.FromMinutes(10), default).WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(time.GetTimestamp(), watcher.LastEvent);
    }
}
