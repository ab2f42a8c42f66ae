using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sync;
using Xunit.Abstractions;

namespace Paude.SessionHelper.Tests;

/// <summary>
/// Two-way sync through the SDK (<see cref="IContinuousSync.StartTwoWayAsync"/>) against a real Podman session: edits
/// travel both ways on their own (local events, the helper's watch), a KeepBoth conflict leaves a copy reported once,
/// pause holds changes back until unpaused, flush returns once the change is applied, a killed helper is
/// reconnected with nothing resent.
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWaySyncTests(PodmanHelperFixture fixture, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);
    private readonly TempTree _tree = new();
    private readonly ServiceProvider _services = Services(fixture.RunId);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
    }

    public void Dispose() => _tree.Dispose();

    private static ServiceProvider Services(string runId)
    {
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend("podman", o => o.ExtraLabels["paude.test"] = runId).AddPaudeSync();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task A_local_edit_reaches_the_session_and_a_session_edit_reaches_the_workspace_on_their_own()
    {
        var ws = await fixture.WorkspaceAsync();
        await using var sync = await StartAsync(ws);
        await sync.FlushAsync();

        var clock = Stopwatch.StartNew();
        _tree.Write("local.txt", "from-local");
        await EventuallyAsync(async () => await SessionReadAsync(ws, "local.txt") == "from-local");
        output.WriteLine($"local -> session: {clock.ElapsedMilliseconds} ms");

        clock.Restart();
        await fixture.ExecAsync("sh", "-c", $"mkdir -p {ws}/sub && printf from-session > {ws}/sub/remote.txt");
        var local = Path.Combine(_tree.Workspace, "sub", "remote.txt");
        await EventuallyAsync(() => Task.FromResult(File.Exists(local) && File.ReadAllText(local) == "from-session"));
        output.WriteLine($"session -> local: {clock.ElapsedMilliseconds} ms");

        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
        Assert.True(sync.Status.Pushed >= 1 && sync.Status.Pulled >= 1, $"status: {sync.Status}");
    }

    [Fact]
    public async Task A_conflict_under_keep_both_leaves_a_copy_on_both_sides_and_is_reported_once()
    {
        var ws = await fixture.WorkspaceAsync();
        _tree.Write("c.txt", "base");
        await using var sync = await StartAsync(ws);
        await sync.FlushAsync();
        Assert.Equal("base", await SessionReadAsync(ws, "c.txt"));

        sync.Pause();
        _tree.Write("c.txt", "local-edit");
        await fixture.ExecAsync("sh", "-c", $"printf session-edit > {ws}/c.txt");
        var round = await sync.FlushAsync();

        var conflict = Assert.Single(round.Conflicts);
        Assert.Equal("c.txt", conflict.Path);
        Assert.Equal("kept-both", conflict.Outcome);
        Assert.NotNull(conflict.CopyPath);
        Assert.Equal("local-edit", File.ReadAllText(Path.Combine(_tree.Workspace, "c.txt")));
        Assert.Equal("session-edit", File.ReadAllText(Path.Combine(_tree.Workspace, conflict.CopyPath)));
        Assert.Equal("local-edit", await SessionReadAsync(ws, "c.txt"));
        Assert.Equal("session-edit", await SessionReadAsync(ws, conflict.CopyPath));

        // Settled: the next rounds do not report it again.
        Assert.Empty((await sync.FlushAsync()).Conflicts);
        Assert.Empty((await sync.FlushAsync()).Conflicts);
        Assert.Equal(1, sync.Status.Conflicts);
    }

    [Fact]
    public async Task Pause_holds_changes_back_and_unpause_brings_them()
    {
        var ws = await fixture.WorkspaceAsync();
        await using var sync = await StartAsync(ws);
        await sync.FlushAsync();

        sync.Pause();
        Assert.Equal(TwoWaySyncState.Paused, sync.Status.State);
        int rounds = sync.Status.Rounds;
        _tree.Write("held.txt", "held");
        await fixture.ExecAsync("sh", "-c", $"printf held-too > {ws}/held-session.txt");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(rounds, sync.Status.Rounds);
        Assert.Equal("", await fixture.ExecAsync("sh", "-c", $"cat {ws}/held.txt 2>/dev/null || true"));
        Assert.False(File.Exists(Path.Combine(_tree.Workspace, "held-session.txt")));

        sync.Unpause();
        await EventuallyAsync(async () => await SessionReadAsync(ws, "held.txt") == "held");
        await EventuallyAsync(() => Task.FromResult(File.Exists(Path.Combine(_tree.Workspace, "held-session.txt"))));
        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
    }

    [Fact]
    public async Task Flush_returns_once_the_change_is_applied()
    {
        var ws = await fixture.WorkspaceAsync();
        await using var sync = await StartAsync(ws, quiet: TimeSpan.FromSeconds(30));
        await sync.FlushAsync();

        _tree.Write("f.txt", "flushed");
        var round = await sync.FlushAsync().WaitAsync(Within);
        Assert.Equal("flush", round.Trigger);
        Assert.Null(round.Error);
        Assert.Equal("flushed", await SessionReadAsync(ws, "f.txt"));

        await sync.DisposeAsync();
        Assert.Equal(TwoWaySyncState.Stopped, sync.Status.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sync.FlushAsync());
    }

    [Fact]
    public async Task A_killed_helper_is_reconnected_and_the_sync_resumes_without_resending()
    {
        var ws = await fixture.WorkspaceAsync();
        for (int i = 0; i < 20; i++) _tree.Write($"many/{i}.txt", $"file {i}");
        await using var sync = await StartAsync(ws);
        Assert.Equal(20, (await sync.FlushAsync()).Pushed);

        // Every helper in the test session (the test's own; the collection runs one test at a time).
        await fixture.ExecAsync("sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = paude-session-h ] && kill -9 ${p#/proc/}; done; true");
        _tree.Write("after.txt", "after");
        await EventuallyAsync(async () => await SessionReadAsync(ws, "after.txt") == "after");

        Assert.True(sync.Status.Reconnections >= 1, $"status: {sync.Status}");
        Assert.Equal(TwoWaySyncState.Running, sync.Status.State);
        Assert.Equal(21, sync.Status.Pushed);
    }

    private async Task<ITwoWaySync> StartAsync(string ws, TimeSpan? quiet = null)
    {
        var sync = _services.GetRequiredService<IContinuousSync>();
        return await sync.StartTwoWayAsync(fixture.Session, _tree.Workspace, new TwoWaySyncOptions
        {
            SessionWorkspace = ws,
            HelperBinary = fixture.HelperBinary,
            QuietPeriod = quiet ?? TimeSpan.FromMilliseconds(100),
            RescanInterval = quiet ?? TimeSpan.FromSeconds(10),
        });
    }

    private async Task<string> SessionReadAsync(string ws, string relative) =>
        await fixture.ExecAsync("sh", "-c", $"cat '{ws}/{relative}' 2>/dev/null || true");

    private static async Task EventuallyAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < Within, "the change did not arrive in time");
            await Task.Delay(50);
        }
    }
}
