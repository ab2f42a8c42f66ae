using System.Diagnostics;
using Paude.Sessions;
using Paude.Sync;
using Xunit.Abstractions;

namespace Paude.Conformance.Sync;

/// <summary>
/// What the shared two-way scenarios need from a backend's test set-up: a running session, continuous sync over that
/// backend, exec as the agent, and a way to lose the session's container underneath the sync (kept workspace).
/// </summary>
public abstract class TwoWaySessions
{
    /// <summary>The backend under test.</summary>
    public abstract ISessionBackend Backend { get; }

    /// <summary>The backend's name for <see cref="WatchSyncOptions.Backend"/>; <c>null</c>: the default one.</summary>
    public virtual string? BackendName => null;

    /// <summary>Continuous sync over <see cref="Backend"/>.</summary>
    public abstract IContinuousSync Continuous { get; }

    /// <summary>The helper binary injected when the image's copy is missing or older; <c>null</c>: the image's copy.</summary>
    public virtual string? HelperBinary => null;

    /// <summary>A running session for the two-way tests (created once, reused; each test uses its own workspace folder).</summary>
    public abstract Task<SessionName> SessionAsync();

    /// <summary>
    /// Takes the session's container away and lets it come back (OpenShift: the pod is deleted and re-created by its
    /// StatefulSet; Podman: the container restarts); the workspace volume survives. Returns once the session runs again.
    /// </summary>
    public abstract Task LoseContainerAsync(SessionName session);

    /// <summary>Runs a command in the session as the agent and fails the test unless it exits 0; returns its output.</summary>
    public virtual Task<string> ExecAsync(SessionName session, params string[] argv) => Backend.CheckAsync(session, argv);
}

/// <summary>
/// Two-way sync (<see cref="IContinuousSync.StartTwoWayAsync"/>) on every backend: edits travel both ways on their
/// own (local events, the helper's watch), a KeepBoth conflict leaves a copy reported once, pause holds changes back,
/// flush returns once a change is applied, and a lost channel — the helper killed, or the whole container gone — is
/// reconnected with nothing resent. Derive once per backend, in a collection (the tests share one session).
/// </summary>
public abstract class TwoWaySyncConformanceTests(TwoWaySessions sessions, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);
    private readonly string _local = Directory.CreateTempSubdirectory("paude-twoway-").FullName;
    private readonly string _ws = $"/pvc/tw-{Guid.NewGuid():N}"[..16];

    /// <summary>The backend's sessions.</summary>
    protected TwoWaySessions Sessions { get; } = sessions;

    public void Dispose()
    {
        try { Directory.Delete(_local, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_local_edit_reaches_the_session_and_a_session_edit_reaches_the_workspace_on_their_own()
    {
        var (session, sync) = await StartAsync();
        await using var _ = sync;

        var clock = Stopwatch.StartNew();
        Write("local.txt", "from-local");
        await EventuallyAsync(async () => await ReadAsync(session, "local.txt") == "from-local");
        output.WriteLine($"local -> session: {clock.ElapsedMilliseconds} ms (including the polling exec)");

        clock.Restart();
        await Sessions.ExecAsync(session, "sh", "-c", $"mkdir -p {_ws}/sub && printf from-session > {_ws}/sub/remote.txt");
        var local = Path.Combine(_local, "sub", "remote.txt");
        await EventuallyAsync(() => Task.FromResult(File.Exists(local) && File.ReadAllText(local) == "from-session"));
        output.WriteLine($"session -> local: {clock.ElapsedMilliseconds} ms (from the exec's return)");

        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
        Assert.True(sync.Status.Pushed >= 1 && sync.Status.Pulled >= 1, $"status: {sync.Status}");
    }

    [Fact]
    public async Task A_conflict_under_keep_both_leaves_a_copy_on_both_sides_and_is_reported_once()
    {
        Write("c.txt", "base");
        var (session, sync) = await StartAsync();
        await using var _ = sync;
        Assert.Equal("base", await ReadAsync(session, "c.txt"));

        // Paused, and a round already under way (the echo of the initial push) finished: the edits below meet in one
        // round, never one of them synced before the other is made.
        await PauseAsync(sync);
        Write("c.txt", "local-edit");
        await Sessions.ExecAsync(session, "sh", "-c", $"printf session-edit > {_ws}/c.txt");
        var round = await sync.FlushAsync();

        var conflict = Assert.Single(round.Conflicts);
        Assert.Equal("c.txt", conflict.Path);
        Assert.Equal("kept-both", conflict.Outcome);
        Assert.NotNull(conflict.CopyPath);
        Assert.Equal("local-edit", File.ReadAllText(Path.Combine(_local, "c.txt")));
        Assert.Equal("session-edit", File.ReadAllText(Path.Combine(_local, conflict.CopyPath)));
        Assert.Equal("local-edit", await ReadAsync(session, "c.txt"));
        Assert.Equal("session-edit", await ReadAsync(session, conflict.CopyPath));

        // Settled: the next rounds do not report it again.
        Assert.Empty((await sync.FlushAsync()).Conflicts);
        Assert.Empty((await sync.FlushAsync()).Conflicts);
        Assert.Equal(1, sync.Status.Conflicts);
    }

    [Fact]
    public async Task Pause_holds_changes_back_and_unpause_brings_them()
    {
        var (session, sync) = await StartAsync();
        await using var _ = sync;

        await PauseAsync(sync);
        Assert.Equal(TwoWaySyncState.Paused, sync.Status.State);
        int rounds = sync.Status.Rounds;
        Write("held.txt", "held");
        await Sessions.ExecAsync(session, "sh", "-c", $"printf held-too > {_ws}/held-session.txt");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(rounds, sync.Status.Rounds);
        Assert.Equal("", await ReadAsync(session, "held.txt"));
        Assert.False(File.Exists(Path.Combine(_local, "held-session.txt")));

        sync.Unpause();
        await EventuallyAsync(async () => await ReadAsync(session, "held.txt") == "held");
        await EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(_local, "held-session.txt"))));
        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
    }

    [Fact]
    public async Task Flush_returns_once_the_change_is_applied()
    {
        var (session, sync) = await StartAsync(quiet: TimeSpan.FromSeconds(30));

        Write("f.txt", "flushed");
        var round = await sync.FlushAsync().WaitAsync(Within);
        Assert.Equal("flush", round.Trigger);
        Assert.Null(round.Error);
        Assert.Equal("flushed", await ReadAsync(session, "f.txt"));

        await sync.DisposeAsync();
        Assert.Equal(TwoWaySyncState.Stopped, sync.Status.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sync.FlushAsync());
    }

    [Fact]
    public async Task A_killed_helper_is_reconnected_and_the_sync_resumes_without_resending()
    {
        for (int i = 0; i < 20; i++) Write($"many/{i}.txt", $"file {i}");
        var (session, sync) = await StartAsync();
        await using var _ = sync;
        Assert.Equal(20, sync.Status.Pushed);

        // Every helper in the session (the collection runs one test at a time, so only this test's).
        await Sessions.ExecAsync(session, "sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = paude-session-h ] && kill -9 ${p#/proc/}; done; true");
        Write("after.txt", "after");
        await EventuallyAsync(async () => await ReadAsync(session, "after.txt") == "after");

        Assert.True(sync.Status.Reconnections >= 1, $"status: {sync.Status}");
        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
        Assert.Equal(21, sync.Status.Pushed);
    }

    [Fact]
    public async Task A_lost_container_is_reconnected_once_it_is_back_and_the_sync_resumes_without_resending()
    {
        for (int i = 0; i < 20; i++) Write($"many/{i}.txt", $"file {i}");
        var (session, sync) = await StartAsync();
        await using var _ = sync;
        Assert.Equal(20, sync.Status.Pushed);

        await Sessions.LoseContainerAsync(session);
        Write("after.txt", "after the container came back");
        await EventuallyAsync(async () => await ReadAsync(session, "after.txt") == "after the container came back", TimeSpan.FromMinutes(2));

        Assert.True(sync.Status.Reconnections >= 1, $"status: {sync.Status}");
        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
        Assert.Equal(21, sync.Status.Pushed);
        Assert.Equal("file 7", await ReadAsync(session, "many/7.txt"));
    }

    /// <summary>Pauses, and lets a round already under way (e.g. for the echo of the initial push) finish first.</summary>
    private static async Task PauseAsync(ITwoWaySync sync)
    {
        sync.Pause();
        await sync.FlushAsync().WaitAsync(Within);
    }

    /// <summary>Starts two-way sync of this test's folders and waits for the initial round.</summary>
    private async Task<(SessionName Session, ITwoWaySync Sync)> StartAsync(TimeSpan? quiet = null)
    {
        var session = await Sessions.SessionAsync();
        await Sessions.ExecAsync(session, "mkdir", "-p", _ws);
        var sync = await Sessions.Continuous.StartTwoWayAsync(session, _local, new TwoWaySyncOptions
        {
            SessionWorkspace = _ws,
            Backend = Sessions.BackendName,
            HelperBinary = Sessions.HelperBinary,
            QuietPeriod = quiet ?? TimeSpan.FromMilliseconds(100),
            RescanInterval = quiet ?? TimeSpan.FromSeconds(10),
            MaxRetryDelay = TimeSpan.FromSeconds(2),
        });
        var initial = await sync.FlushAsync().WaitAsync(Within);
        Assert.Null(initial.Error);
        return (session, sync);
    }

    private void Write(string relative, string content)
    {
        var full = Path.Combine(_local, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    private async Task<string> ReadAsync(SessionName session, string relative) =>
        await Sessions.ExecAsync(session, "sh", "-c", $"cat '{_ws}/{relative}' 2>/dev/null || true");

    private static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await ConditionAsync(condition))
        {
            Assert.True(clock.Elapsed < (within ?? Within), "the change did not arrive in time");
            await Task.Delay(50);
        }
    }

    /// <summary>The condition; an exec failing (exit code or error) while the container is away counts as "not yet".</summary>
    private static async Task<bool> ConditionAsync(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (Exception)
        {
            return false;
        }
    }
}
