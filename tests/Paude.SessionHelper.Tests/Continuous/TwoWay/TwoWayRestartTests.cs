using Paude.Sync;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// Two-way sync stopped and started again (a new process, a reboot) on a real Podman session: the last agreement of
/// both sides (the base) outlives the watch, so what changed while nobody watched is decided as a change — not as a
/// conflict on every differing file, nor (under keep-local/keep-session) a side picked silently — and a conflict
/// already reported is not reported again, while its resolution (edit, delete the copy) is picked up.
/// </summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class TwoWayRestartTests(PodmanHelperFixture fixture)
{
    [Fact]
    public async Task A_settled_conflict_is_not_reported_again_and_its_resolution_made_while_stopped_is_picked_up()
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("c.txt", "base");
        var ws = await fixture.WorkspaceAsync();
        string copy;
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.KeepBoth))
        {
            await PauseAsync(sync);
            local.Write("c.txt", "local-edit");
            await fixture.ExecAsync("sh", "-c", $"printf session-edit > {ws}/c.txt");
            var conflict = Assert.Single((await sync.FlushAsync()).Conflicts);
            copy = conflict.CopyPath!;
        }

        // Resolved while nobody watched: the copy deleted, the merge written.
        File.Delete(Path.Combine(local.Path, copy));
        local.Write("c.txt", "merged");

        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.KeepBoth))
        {
            Assert.Empty(Initial.Conflicts);
            Assert.Equal(0, sync.Status.Conflicts);
            Assert.Equal("merged", await fixture.ExecAsync("cat", $"{ws}/c.txt"));
            Assert.Equal("", await fixture.ExecAsync("sh", "-c", $"ls {ws} | grep conflict || true"));
            Assert.False(local.Exists(copy));
        }
    }

    [Fact]
    public async Task A_session_edit_made_while_stopped_is_pulled_not_overwritten_by_keep_local()
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("a.txt", "agreed");
        local.Write("b.txt", "agreed");
        var ws = await fixture.WorkspaceAsync();
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.KeepLocal))
        {
            Assert.Equal("agreed", await fixture.ExecAsync("cat", $"{ws}/a.txt"));
        }

        await fixture.ExecAsync("sh", "-c", $"printf agent-work > {ws}/a.txt && rm {ws}/b.txt");

        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.KeepLocal))
        {
            Assert.Empty(Initial.Conflicts);
            Assert.Equal("agent-work", local.Read("a.txt"));
            Assert.Equal("agent-work", await fixture.ExecAsync("cat", $"{ws}/a.txt"));
            Assert.False(local.Exists("b.txt"));
        }
    }

    [Fact]
    public async Task A_conflict_that_stopped_the_sync_is_not_reported_again_and_is_settled_once_both_sides_agree()
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("s.txt", "base");
        var ws = await fixture.WorkspaceAsync();
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.Stop))
        {
            await PauseAsync(sync);
            local.Write("s.txt", "local-edit");
            await fixture.ExecAsync("sh", "-c", $"printf session-edit > {ws}/s.txt");
            var round = await sync.FlushAsync();
            Assert.True(round.Stopped);
            Assert.Equal("stopped", Assert.Single(round.Conflicts).Outcome);
            await sync.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        }

        local.Write("other.txt", "goes on");
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.Stop))
        {
            // Started again with the conflict still open: it is not reported (nor stopped on) again; the rest syncs.
            Assert.Empty(Initial.Conflicts);
            Assert.False(Initial.Stopped);
            Assert.Equal("goes on", await fixture.ExecAsync("cat", $"{ws}/other.txt"));
            Assert.Equal("local-edit", local.Read("s.txt"));
            Assert.Equal("session-edit", await fixture.ExecAsync("cat", $"{ws}/s.txt"));

            // The user settles it by making both sides the same; from then on it is an ordinary file again.
            await fixture.ExecAsync("sh", "-c", $"printf local-edit > {ws}/s.txt");
            Assert.Empty((await sync.FlushAsync()).Conflicts);
            local.Write("s.txt", "after");
            Assert.Empty((await sync.FlushAsync()).Conflicts);
            Assert.Equal("after", await fixture.ExecAsync("cat", $"{ws}/s.txt"));
            Assert.Equal(0, sync.Status.Conflicts);
        }
    }

    [Fact]
    public async Task A_conflict_held_open_is_reported_again_when_either_side_changes_it_and_no_edit_is_lost()
    {
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("h.txt", "base");
        var ws = await fixture.WorkspaceAsync();
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.Stop))
        {
            await PauseAsync(sync);
            local.Write("h.txt", "local-edit");
            await fixture.ExecAsync("sh", "-c", $"printf session-edit > {ws}/h.txt");
            Assert.True((await sync.FlushAsync()).Stopped);
        }

        // The agent goes on editing the file: that is a new conflict (reported), never a reason to overwrite the local edit.
        await fixture.ExecAsync("sh", "-c", $"printf session-edit-2 > {ws}/h.txt");
        await using (var sync = await StartAsync(local.Path, ws, ConflictPolicy.Stop))
        {
            Assert.True(Initial.Stopped);
            Assert.Equal("h.txt", Assert.Single(Initial.Conflicts).Path);
            Assert.Equal("local-edit", local.Read("h.txt"));
            Assert.Equal("session-edit-2", await fixture.ExecAsync("cat", $"{ws}/h.txt"));
        }
    }

    /// <summary>Pauses, and lets a round already under way (e.g. for the echo of the initial push) finish first.</summary>
    private static async Task PauseAsync(ITwoWaySync sync)
    {
        sync.Pause();
        await sync.FlushAsync();
    }

    /// <summary>The first round of the sync <see cref="StartAsync"/> started last.</summary>
    private TwoWaySyncRound Initial { get; set; } = null!;

    /// <summary>Starts two-way sync and waits for its first (initial) round, kept in <see cref="Initial"/>.</summary>
    private async Task<ITwoWaySync> StartAsync(string local, string ws, ConflictPolicy policy)
    {
        var sync = await fixture.Continuous.StartTwoWayAsync(fixture.Session, local, new TwoWaySyncOptions
        {
            SessionWorkspace = ws,
            Backend = "podman",
            HelperBinary = fixture.HelperBinary,
            ConflictPolicy = policy,
            QuietPeriod = TimeSpan.FromMilliseconds(100),
            RescanInterval = TimeSpan.FromMinutes(5),
        });
        await using var rounds = sync.ReadRoundsAsync().GetAsyncEnumerator();
        Assert.True(await rounds.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Null(rounds.Current.Error);
        Initial = rounds.Current;
        return sync;
    }
}
