using Paude.Sessions;
using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>
/// BUG-003: two sessions work on the same repository; syncing them back one after the other must never lose a
/// commit (the Python tool copied .git over itself and lost A1, A2).
/// </summary>
public abstract partial class SyncConformanceTests
{
    private sealed record Scenario(LocalRepo Local, string X, SessionName A, string WsA, string[] ACommits, SessionName B, string WsB, string[] BCommits) : IDisposable
    {
        public string[] All => [X, .. ACommits, .. BCommits];

        public void Dispose() => Local.Dispose();
    }

    /// <summary>Local at X; session A commits A1, A2; session B commits B1, B2 (same file when <paramref name="conflicting"/>).</summary>
    private async Task<Scenario> SetUpAsync(bool conflicting)
    {
        var a = await Sessions.SessionAsync("s1");
        var b = await Sessions.SessionAsync("s2");
        var local = await LocalRepo.CreateAsync();
        var x = await local.CommitAsync("shared.txt", "line 1\nline 2\nline 3\n", "X");
        var wsA = SyncSessions.NewWorkspace();
        var wsB = SyncSessions.NewWorkspace();
        await PushAsync(a, local, wsA);
        await PushAsync(b, local, wsB);
        var a1 = await Sessions.CommitAsync(a, wsA, "feature-a.txt", "a1\n", "A1");
        var a2 = await Sessions.CommitAsync(a, wsA, conflicting ? "shared.txt" : "feature-a.txt", conflicting ? "line 1\nA\nline 3\n" : "a1\na2\n", "A2");
        var b1 = await Sessions.CommitAsync(b, wsB, "feature-b.txt", "b1\n", "B1");
        var b2 = await Sessions.CommitAsync(b, wsB, conflicting ? "shared.txt" : "feature-b.txt", conflicting ? "line 1\nB\nline 3\n" : "b1\nb2\n", "B2");
        return new Scenario(local, x, a, wsA, [a1, a2], b, wsB, [b1, b2]);
    }

    private async Task AssertNothingLostAsync(Scenario s)
    {
        foreach (var commit in s.All)
        {
            Assert.True(await s.Local.IsReachableAsync(commit), $"commit {commit} is not reachable from any local ref");
        }

        await s.Local.GitAsync("fsck", "--no-progress", "--strict");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bug003_branch_strategy_keeps_every_commit_in_either_order_and_never_touches_the_current_branch(bool aFirst)
    {
        using var s = await SetUpAsync(conflicting: true);
        var before = await s.Local.StateAsync();
        foreach (var (session, ws) in aFirst ? new[] { (s.A, s.WsA), (s.B, s.WsB) } : [(s.B, s.WsB), (s.A, s.WsA)])
        {
            var result = await PullAsync(session, s.Local, ws, SyncStrategy.Branch);
            Assert.Equal(2, result.CommitsTransferred);
            Assert.Equal([$"refs/heads/paude/{session.Value}"], result.RefsWritten);
        }

        Assert.Equal(before, await s.Local.StateAsync());
        Assert.Equal(s.ACommits[1], await s.Local.GitAsync("rev-parse", "paude/" + s.A.Value));
        Assert.Equal(s.BCommits[1], await s.Local.GitAsync("rev-parse", "paude/" + s.B.Value));
        await AssertNothingLostAsync(s);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bug003_merge_strategy_fast_forwards_then_merges_cleanly_and_loses_nothing(bool aFirst)
    {
        using var s = await SetUpAsync(conflicting: false);
        var order = aFirst ? new[] { (s.A, s.WsA, s.ACommits), (s.B, s.WsB, s.BCommits) } : [(s.B, s.WsB, s.BCommits), (s.A, s.WsA, s.ACommits)];

        var first = await PullAsync(order[0].Item1, s.Local, order[0].Item2, SyncStrategy.Merge);
        Assert.Equal(order[0].Item3[1], await s.Local.GitAsync("rev-parse", "HEAD"));
        Assert.Equal(2, first.CommitsTransferred);

        var second = await PullAsync(order[1].Item1, s.Local, order[1].Item2, SyncStrategy.Merge);
        var head = await s.Local.GitAsync("rev-parse", "HEAD");
        Assert.Equal(second.Commit, head);
        Assert.Equal($"{order[0].Item3[1]} {order[1].Item3[1]}", (await s.Local.GitAsync("log", "-1", "--format=%P")).Trim());
        Assert.Equal("a1\na2\n", s.Local.Read("feature-a.txt"));
        Assert.Equal("b1\nb2\n", s.Local.Read("feature-b.txt"));
        Assert.Equal(string.Empty, await s.Local.GitAsync("status", "--porcelain"));
        await AssertNothingLostAsync(s);
    }

    [Fact]
    public async Task Bug003_conflicting_merge_is_aborted_with_the_paths_and_the_workspace_exactly_as_before()
    {
        using var s = await SetUpAsync(conflicting: true);
        await PullAsync(s.A, s.Local, s.WsA, SyncStrategy.Merge);
        s.Local.Write("scratch.txt", "uncommitted, untouched by the merge\n");
        var before = await s.Local.StateAsync();

        var ex = await Assert.ThrowsAsync<SyncConflictException>(() => PullAsync(s.B, s.Local, s.WsB, SyncStrategy.Merge));

        Assert.Equal(["shared.txt"], ex.Paths);
        Assert.Contains("shared.txt", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await s.Local.StateAsync());
        Assert.False(File.Exists(Path.Combine(s.Local.Path, ".git", "MERGE_HEAD")));

        // Nothing is lost: the branch strategy still brings B's commits in next to A's.
        await PullAsync(s.B, s.Local, s.WsB, SyncStrategy.Branch);
        await AssertNothingLostAsync(s);
    }

    [Fact]
    public async Task Bug003_overwrite_without_force_is_refused_naming_the_commits_at_risk_and_with_force_keeps_them_in_a_backup_ref()
    {
        using var s = await SetUpAsync(conflicting: true);
        await PullAsync(s.A, s.Local, s.WsA, SyncStrategy.Overwrite);
        Assert.Equal(s.ACommits[1], await s.Local.GitAsync("rev-parse", "HEAD"));
        var before = await s.Local.StateAsync();

        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PullAsync(s.B, s.Local, s.WsB, SyncStrategy.Overwrite));

        Assert.Equal(2, refused.CommitsAtRisk.Count);
        Assert.Contains(s.ACommits[0][..10] + " A1", refused.Message, StringComparison.Ordinal);
        Assert.Contains(s.ACommits[1][..10] + " A2", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"Session '{s.A.Value}' was synced into this workspace", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, await s.Local.StateAsync());

        s.Local.Write("wip.txt", "uncommitted work\n");
        var forced = await PullAsync(s.B, s.Local, s.WsB, SyncStrategy.Overwrite, force: true);

        Assert.Equal(s.BCommits[1], await s.Local.GitAsync("rev-parse", "HEAD"));
        Assert.Equal("line 1\nB\nline 3\n", s.Local.Read("shared.txt"));
        Assert.False(s.Local.Exists("wip.txt"));
        Assert.Equal(2, forced.BackupRefs.Count);
        Assert.Equal(s.ACommits[1], await s.Local.GitAsync("rev-parse", forced.BackupRefs[0]));
        Assert.Equal("uncommitted work\n", await s.Local.GitAsync("show", forced.BackupRefs[1] + ":wip.txt") + "\n");
        await AssertNothingLostAsync(s);
    }

    [Fact]
    public async Task Bug003_merge_is_refused_when_uncommitted_changes_touch_files_the_merge_changes()
    {
        using var s = await SetUpAsync(conflicting: true);
        s.Local.Write("shared.txt", "my local edit\n");
        var before = await s.Local.StateAsync();

        var ex = await Assert.ThrowsAsync<UnsafeSyncException>(() => PullAsync(s.A, s.Local, s.WsA, SyncStrategy.Merge));

        Assert.Equal(["shared.txt"], ex.PathsAtRisk);
        Assert.Equal(before, await s.Local.StateAsync());
    }
}
