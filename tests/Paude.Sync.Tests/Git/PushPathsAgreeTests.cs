using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The incremental push (one exec, <c>push-apply.sh</c>) and the full push (probe, follow, staged upload) apply one
/// rule to a session path of another type in the way of a write — a folder, a link, a link or a file among the
/// leading folders: that write is a conflict, left alone, and the rest is pushed. A dry run (which takes the full
/// path's check) promises exactly what either push then does.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class PushPathsAgreeTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    public static TheoryData<string, string, string> Obstacles => new()
    {
        // kind, the file the host writes, the session's obstacle (bash, run in the workspace; $1 = an outside folder)
        { "folder where a file goes", "d", "mkdir d && printf own > d/own.txt" },
        { "link to a session file where a file goes", "l", "ln -s keep.txt l" },
        { "link to outside where a tracked file goes", "keep.txt", "rm keep.txt && ln -s \"$1/target\" keep.txt" },
        { "leading link to outside", "a/b/c", "ln -s \"$1\" a" },
        { "leading link to the parent", "a/b/c", "ln -s .. a" },
        { "file where a folder goes", "f/x", "printf own > f" },
    };

    [Theory]
    [MemberData(nameof(Obstacles))]
    public async Task A_session_obstacle_is_the_same_conflict_on_the_dry_run_the_incremental_and_the_full_push(string kind, string write, string obstacle)
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(Fixture, local, ("keep.txt", "keep\n"), ("ok.txt", "ok\n"));
        local.Write(write, $"the host's {kind}\n");
        local.Write("ok.txt", "ok, edited\n");
        await twins.InBothAsync(obstacle);
        var outsideBefore = await twins.OutsideAsync();

        var (dry, incremental, full) = await twins.PushAllAsync(local);

        Assert.Equal([write], dry.Conflicts);
        Assert.Equal(["ok.txt"], dry.FilesChanged);
        PushPathTwins.AssertSameReport(dry, incremental, "dry run", "incremental push");
        PushPathTwins.AssertSameReport(dry, full, "dry run", "full push");
        Assert.Equal("ok, edited\n", await Fixture.ExecAsync(twins.A, "cat", twins.WorkspaceA + "/ok.txt"));
        Assert.Equal(await twins.TreeAsync(twins.A, twins.WorkspaceA), await twins.TreeAsync(twins.B, twins.WorkspaceB));
        Assert.Equal(outsideBefore, await twins.OutsideAsync());
    }

    public static TheoryData<string, string> DeletionObstacles => new()
    {
        // kind, what the agent did to d/x.txt (a committed file the host deletes); $1 = an outside folder
        { "an empty folder in its place", "rm d/x.txt && mkdir d/x.txt" },
        { "its folder a link to outside, where a file of the same content waits", "rm -r d && ln -s \"$1\" d && printf 'x\\n' > \"$1/x.txt\" && touch -d 2001-01-01 \"$1/x.txt\"" },
        { "its folder a file", "rm -r d && printf own > d" },
    };

    /// <summary>
    /// Model seed 1901 (PushPathsModelTests): the full push deleted with <c>rm -f</c>, which failed on a folder in the
    /// file's place (an untyped transport error after the probe) and, behind a link on the way, deleted through it
    /// (<c>git ls-files -d</c> follows the link, so the file counted as present). No file of the workspace is there:
    /// nothing is deleted, nothing reported, on every path.
    /// </summary>
    [Theory]
    [MemberData(nameof(DeletionObstacles))]
    public async Task A_deletion_where_the_session_holds_no_file_deletes_nothing_on_every_path(string kind, string obstacle)
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(Fixture, local, ("d/x.txt", "x\n"), ("ok.txt", "ok\n"));
        File.Delete(Path.Combine(local.Path, "d/x.txt"));
        local.Write("ok.txt", $"ok, {kind}\n");
        await twins.InBothAsync(obstacle);
        var outsideBefore = await twins.OutsideAsync();

        var (dry, incremental, full) = await twins.PushAllAsync(local);

        Assert.Empty(dry.FilesDeleted);
        Assert.Empty(dry.Conflicts);
        Assert.Equal(["ok.txt"], dry.FilesChanged);
        PushPathTwins.AssertSameReport(dry, incremental, "dry run", "incremental push");
        PushPathTwins.AssertSameReport(dry, full, "dry run", "full push");
        Assert.Equal(await twins.TreeAsync(twins.A, twins.WorkspaceA), await twins.TreeAsync(twins.B, twins.WorkspaceB));
        Assert.Equal(outsideBefore, await twins.OutsideAsync());
    }

    [Fact]
    public async Task A_session_edit_of_a_file_the_push_writes_refuses_both_pushes_by_name_even_beside_an_obstacle()
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(Fixture, local, ("keep.txt", "keep\n"), ("ok.txt", "ok\n"));
        local.Write("d", "the host's file\n");
        local.Write("ok.txt", "ok, edited by the host\n");
        await twins.InBothAsync("mkdir d && printf own > d/own.txt && printf 'agent edit\\n' > ok.txt");

        var dry = await Assert.ThrowsAsync<UnsafeSyncException>(() => twins.PushAsync(twins.A, twins.WorkspaceA, local, dryRun: true));
        var incremental = await Assert.ThrowsAsync<UnsafeSyncException>(() => twins.PushAsync(twins.A, twins.WorkspaceA, local));
        var full = await Assert.ThrowsAsync<UnsafeSyncException>(() => twins.PushAsync(twins.B, twins.WorkspaceB, local));

        Assert.Equal(["ok.txt"], dry.PathsAtRisk);
        Assert.Equal(dry.PathsAtRisk, incremental.PathsAtRisk);
        Assert.Equal(dry.PathsAtRisk, full.PathsAtRisk);
        Assert.Equal("agent edit\n", await Fixture.ExecAsync(twins.A, "cat", twins.WorkspaceA + "/ok.txt"));
        Assert.Equal(await twins.TreeAsync(twins.A, twins.WorkspaceA), await twins.TreeAsync(twins.B, twins.WorkspaceB));
    }

    [Fact]
    public async Task A_forced_incremental_push_moves_the_obstacle_to_the_backup_folder_as_the_full_push_does()
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(Fixture, local, ("keep.txt", "keep\n"), ("ok.txt", "ok\n"));
        local.Write("d", "the host's file\n");
        local.Write("ok.txt", "ok, edited\n");
        await twins.InBothAsync("mkdir d && printf own > d/own.txt");

        var incremental = await twins.PushAsync(twins.A, twins.WorkspaceA, local, force: true);
        var full = await twins.PushAsync(twins.B, twins.WorkspaceB, local, force: true);

        PushPathTwins.AssertSameReport(full, incremental, "full push", "incremental push");
        Assert.Equal(["d", "ok.txt"], incremental.FilesChanged);
        foreach (var (session, ws, result) in new[] { (twins.A, twins.WorkspaceA, incremental), (twins.B, twins.WorkspaceB, full) })
        {
            Assert.Equal("the host's file\n", await Fixture.ExecAsync(session, "cat", ws + "/d"));
            var backup = Assert.Single(result.BackupRefs);
            Assert.Equal("own", await Fixture.ExecAsync(session, "cat", backup[(backup.IndexOf(':', StringComparison.Ordinal) + 1)..] + "/d/own.txt"));
            Assert.Contains(result.Warnings, w => w.Contains("moved to", StringComparison.Ordinal) && w.Contains('d'));
        }
    }
}

/// <summary>
/// One local repository pushed into two sessions: <see cref="A"/> takes the incremental path on its next push (its
/// last sync was a push), <see cref="B"/> the full path (its last sync was a branch pull, which changes nothing the
/// push compares). Both hold the same tree; each has an outside folder <see cref="Outside"/> with a file
/// <c>target</c> a hostile link can point at.
/// </summary>
internal sealed class PushPathTwins
{
    private readonly SyncFixture _fixture;
    private bool _ready;

    private PushPathTwins(SyncFixture fixture, SessionName a, SessionName b)
    {
        _fixture = fixture;
        A = a;
        B = b;
    }

    public SessionName A { get; }

    public SessionName B { get; }

    public string WorkspaceA { get; } = Paude.Conformance.Sync.SyncSessions.NewWorkspace();

    public string WorkspaceB { get; } = Paude.Conformance.Sync.SyncSessions.NewWorkspace();

    public string Outside { get; } = $"/tmp/push-outside-{Guid.NewGuid():N}";

    public static async Task<PushPathTwins> CreateAsync(SyncFixture fixture, LocalRepo local, params (string Path, string Content)[] committed)
    {
        var twins = new PushPathTwins(fixture, await fixture.SessionAsync("push-a"), await fixture.SessionAsync("push-b"));
        foreach (var (path, content) in committed)
        {
            local.Write(path, content);
        }

        await local.GitAsync("add", "-A");
        await local.GitAsync("commit", "-q", "-m", "pushed");
        await twins.PushAsync(twins.A, twins.WorkspaceA, local);
        await twins.PushAsync(twins.B, twins.WorkspaceB, local);
        await fixture.Sync.SyncAsync(twins.B, local.Path, new SyncOptions { Direction = SyncDirection.FromSession, Strategy = SyncStrategy.Branch, SessionWorkspace = twins.WorkspaceB }, null, default);
        await Task.WhenAll(new[] { twins.A, twins.B }.Select(session =>
            fixture.ExecAsync(session, "bash", "-c", "mkdir -p \"$1\" && printf 'outside\\n' > \"$1/target\" && touch -d '2001-01-01' \"$1/target\"", "bash", twins.Outside)));

        twins._ready = true;
        return twins;
    }

    /// <summary>
    /// Pushes; once the twins exist, checks by its progress messages that A took the incremental path (the dry run
    /// excepted) and B the full one.
    /// </summary>
    public async Task<SyncResult> PushAsync(SessionName session, string ws, LocalRepo local, bool force = false, bool dryRun = false)
    {
        var progress = new Messages();
        try
        {
            return await _fixture.Sync.SyncAsync(session, local.Path, new SyncOptions
            {
                Direction = SyncDirection.ToSession,
                Strategy = SyncStrategy.Branch,
                Force = force,
                DryRun = dryRun,
                SessionWorkspace = ws,
            }, progress, default);
        }
        finally
        {
            if (_ready)
            {
                var incremental = progress.Lines.Contains("Comparing the workspace with the last push") && !progress.Lines.Contains("Reading the session's repository state");
                Assert.True(incremental == (session == A && !dryRun), $"{(session == A ? "A" : "B")}{(dryRun ? " (dry run)" : string.Empty)} took the {(incremental ? "incremental" : "full")} path: {string.Join(" | ", progress.Lines)}");
            }
        }
    }

    /// <summary>The dry run (on A, changes nothing), the incremental push (A) and the full push (B).</summary>
    public async Task<(SyncResult Dry, SyncResult Incremental, SyncResult Full)> PushAllAsync(LocalRepo local)
    {
        var before = await TreeAsync(A, WorkspaceA);
        var dry = await PushAsync(A, WorkspaceA, local, dryRun: true);
        Assert.Equal(before, await TreeAsync(A, WorkspaceA));
        return (dry, await PushAsync(A, WorkspaceA, local), await PushAsync(B, WorkspaceB, local));
    }

    /// <summary>Runs <paramref name="script"/> (bash, $1 = the outside folder) in both workspaces.</summary>
    public async Task InBothAsync(string script)
    {
        await Task.WhenAll(
            _fixture.ExecAsync(A, "bash", "-c", "cd \"$2\" && " + script, "bash", Outside, WorkspaceA),
            _fixture.ExecAsync(B, "bash", "-c", "cd \"$2\" && " + script, "bash", Outside, WorkspaceB));
    }

    /// <summary>
    /// The outside folder of both sessions (names, sizes, modification times, content hashes), and whether the
    /// workspaces' parent holds anything a relative link (<c>..</c>) could have been written through to.
    /// </summary>
    public async Task<string> OutsideAsync()
    {
        const string script = "cd \"$1\" && find . -printf '%y %p %T@ %s\\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum && ls -A \"$2/..\" | grep -vx 't-.*' || true";
        var both = await Task.WhenAll(
            _fixture.ExecAsync(A, "bash", "-c", script, "bash", Outside, WorkspaceA),
            _fixture.ExecAsync(B, "bash", "-c", script, "bash", Outside, WorkspaceB));
        return string.Concat(both);
    }

    /// <summary>The session's working tree (no .git, no backup folders): kind, mode, path, link target, content hash.</summary>
    public async Task<string> TreeAsync(SessionName session, string ws) =>
        await _fixture.ExecAsync(session, "bash", "-c",
            "cd \"$1\" && find . \\( -path ./.git -o -name '.paude-*' \\) -prune -o -printf '%y %m %p %l\\n' | sort"
            + " && find . \\( -path ./.git -o -name '.paude-*' \\) -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum", "bash", ws);

    public static void AssertSameReport(SyncResult expected, SyncResult actual, string expectedName, string actualName)
    {
        Assert.True(expected.Conflicts.SequenceEqual(actual.Conflicts), $"conflicts: {expectedName} [{string.Join(", ", expected.Conflicts)}], {actualName} [{string.Join(", ", actual.Conflicts)}]");
        Assert.True(expected.FilesChanged.SequenceEqual(actual.FilesChanged), $"written: {expectedName} [{string.Join(", ", expected.FilesChanged)}], {actualName} [{string.Join(", ", actual.FilesChanged)}]");
        Assert.True(expected.FilesDeleted.SequenceEqual(actual.FilesDeleted), $"deleted: {expectedName} [{string.Join(", ", expected.FilesDeleted)}], {actualName} [{string.Join(", ", actual.FilesDeleted)}]");
    }

    /// <summary>Progress messages, collected synchronously (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class Messages : IProgress<SyncProgress>
    {
        public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; } = new();

        public void Report(SyncProgress value) => Lines.Enqueue(value.Message);
    }
}
