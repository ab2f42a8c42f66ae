using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>A sync killed at any point leaves the workspace as before or as after; syncs of one repository are serialised.</summary>
[Collection(SyncGroup.Name)]
public sealed class InterruptionAndLockTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    private const int FileCount = 150;

    private Task SetSessionFilesAsync(Sessions.SessionName session, string ws, string content) =>
        Fixture.ExecAsync(session, "bash", "-c", "mkdir -p \"$1\" && for i in $(seq 1 \"$3\"); do printf '%s' \"$2\" > \"$1/f$i.txt\"; done", "bash", ws, content, FileCount.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static string[] Contents(LocalRepo local) =>
        [.. Enumerable.Range(1, FileCount).Select(i => local.Exists($"f{i}.txt") ? local.Read($"f{i}.txt") : "<missing>").Distinct()];

    [Fact]
    public async Task Cancelling_at_random_points_leaves_the_workspace_before_or_after_never_half()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        await SetSessionFilesAsync(session, ws, "v0");
        await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);
        Assert.Equal(["v0"], Contents(local));
        var random = new Random(20261127);
        var outcomes = new List<string>();
        for (var round = 1; round <= 6; round++)
        {
            await SetSessionFilesAsync(session, ws, $"v{round}");
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(0, 900)));
            try
            {
                await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude, cancellationToken: cts.Token);
                outcomes.Add("completed");
            }
            catch (OperationCanceledException)
            {
                outcomes.Add("cancelled");
            }

            var seen = Contents(local);
            Assert.True(seen.SequenceEqual([$"v{round - 1}"]) || seen.SequenceEqual([$"v{round}"]), $"round {round}: half-applied workspace: {string.Join(", ", seen)}");
            Assert.Empty(Directory.EnumerateDirectories(local.Path, "*paude-staging*"));

            // The next sync completes the round from whatever state the interruption left.
            await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);
            Assert.Equal([$"v{round}"], Contents(local));
        }

        Assert.Contains("cancelled", outcomes);
    }

    [Fact]
    public async Task An_interrupted_apply_is_rolled_forward_from_its_journal_by_the_next_sync()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "1\n", "X");
        await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch);

        // What a process killed in the middle of moving files into place leaves behind: a journal and a staging folder.
        var state = Path.Combine(local.Path, ".git", "paude");
        var staging = Path.Combine(state, ".paude-staging-killed");
        Directory.CreateDirectory(staging);
        File.WriteAllText(Path.Combine(staging, "b.txt"), "staged\n");
        File.WriteAllText(Path.Combine(state, "apply-journal.json"), System.Text.Json.JsonSerializer.Serialize(new { Workspace = local.Path, Staging = staging, Writes = new[] { "a.txt", "b.txt" }, Deletes = Array.Empty<string>() }));

        await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Branch, dryRun: true);

        Assert.Equal("staged\n", local.Read("b.txt"));
        Assert.Equal("1\n", local.Read("a.txt"));
        Assert.False(File.Exists(Path.Combine(state, "apply-journal.json")));
        Assert.False(Directory.Exists(staging));
    }

    /// <summary>
    /// An apply that fails (here: its roll-forward meets a link on the way) is reported once; its journal must not
    /// make every later sync fail the same way.
    /// </summary>
    [Fact]
    public async Task A_failed_apply_is_reported_once_and_the_next_sync_works()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "1\n", "X");
        await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch);
        var outside = Directory.CreateTempSubdirectory("paude-outside-");
        try
        {
            var state = Path.Combine(local.Path, ".git", "paude");
            var staging = Path.Combine(state, ".paude-staging-failed");
            Directory.CreateDirectory(Path.Combine(staging, "linked"));
            File.WriteAllText(Path.Combine(staging, "linked", "b.txt"), "staged\n");
            File.CreateSymbolicLink(Path.Combine(local.Path, "linked"), outside.FullName);
            File.WriteAllText(Path.Combine(state, "apply-journal.json"), System.Text.Json.JsonSerializer.Serialize(new { Workspace = local.Path, Staging = staging, Writes = new[] { "linked/b.txt" }, Deletes = Array.Empty<string>() }));

            await Assert.ThrowsAsync<UnsafeLocalPathException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Branch));
            Assert.Empty(outside.EnumerateFileSystemInfos());
            Assert.False(File.Exists(Path.Combine(state, "apply-journal.json")));

            await local.CommitAsync("c.txt", "2\n", "Y");
            var next = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch);
            Assert.Equal(1, next.CommitsTransferred);
            Assert.Equal("2\n", await Fixture.ExecAsync(session, "cat", ws + "/c.txt"));
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_second_sync_of_the_same_repository_waits_for_the_lock_or_fails_clearly()
    {
        var s1 = await Fixture.SessionAsync("s1");
        var s2 = await Fixture.SessionAsync("s2");
        var ws1 = NewSessionWorkspace();
        var ws2 = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "1\n", "X");
        await PushAsync(s1, local, ws1);
        await PushAsync(s2, local, ws2);
        await Fixture.CommitAsync(s1, ws1, "one.txt", "1\n", "from s1");
        await Fixture.CommitAsync(s2, ws2, "two.txt", "2\n", "from s2");

        var locked = new TaskCompletionSource();
        var first = Fixture.Sync.SyncAsync(s1, local.Path, new SyncOptions { SessionWorkspace = ws1 }, new Signal(locked));
        await locked.Task;
        var busy = await Assert.ThrowsAsync<SyncLockedException>(() => Fixture.Sync.SyncAsync(s2, local.Path, new SyncOptions { SessionWorkspace = ws2, LockTimeout = TimeSpan.Zero }));
        Assert.EndsWith("sync.lock", busy.LockFile, StringComparison.Ordinal);
        await first;

        // Two at once with waiting: both complete, and the manifest keeps both (no lost update).
        await Fixture.CommitAsync(s1, ws1, "one.txt", "1b\n", "s1 again");
        await Fixture.CommitAsync(s2, ws2, "two.txt", "2b\n", "s2 again");
        var results = await Task.WhenAll(
            Fixture.Sync.SyncAsync(s1, local.Path, new SyncOptions { SessionWorkspace = ws1 }),
            Fixture.Sync.SyncAsync(s2, local.Path, new SyncOptions { SessionWorkspace = ws2 }));
        Assert.Equal([1, 2], results.Select(r => r.CommitsTransferred));
        var manifest = File.ReadAllText(Path.Combine(local.Path, ".git", "paude", "sync-manifest.json"));
        Assert.Contains($"\"{s1.Value}\"", manifest, StringComparison.Ordinal);
        Assert.Contains($"\"{s2.Value}\"", manifest, StringComparison.Ordinal);
        Assert.Equal((await Fixture.GitAsync(s1, ws1, "rev-parse", "HEAD")).Trim(), await local.GitAsync("rev-parse", "paude/" + s1.Value));
        Assert.Equal((await Fixture.GitAsync(s2, ws2, "rev-parse", "HEAD")).Trim(), await local.GitAsync("rev-parse", "paude/" + s2.Value));
    }

    private sealed class Signal(TaskCompletionSource tcs) : IProgress<SyncProgress>
    {
        public void Report(SyncProgress value) => tcs.TrySetResult();
    }
}
