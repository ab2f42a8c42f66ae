using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The excludes say what a file-level sync copies; they never hide a tracked file from the checks before a reset:
/// an uncommitted edit to a tracked file under an excluded folder (<c>bin/</c>) is work an overwrite must keep.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class ExcludedTrackedFileTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task Overwrite_refuses_an_uncommitted_edit_to_a_tracked_file_under_an_excluded_folder_and_force_keeps_it()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("bin/run.sh", "echo v1\n", "tracked script");
        await PushAsync(session, local, ws);
        await Fixture.CommitAsync(session, ws, "a.txt", "session\n", "S1");
        local.Write("bin/run.sh", "echo my uncommitted edit\n");

        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PullAsync(session, local, ws, SyncStrategy.Overwrite));

        Assert.Equal(["bin/run.sh"], refused.PathsAtRisk);
        Assert.Equal("echo my uncommitted edit\n", local.Read("bin/run.sh"));

        var forced = await PullAsync(session, local, ws, SyncStrategy.Overwrite, force: true);

        Assert.Equal("echo v1\n", local.Read("bin/run.sh"));
        var snapshot = Assert.Single(forced.BackupRefs, r => r.EndsWith("-worktree", StringComparison.Ordinal));
        Assert.Equal("echo my uncommitted edit\n", await local.GitAsync("show", snapshot + ":bin/run.sh") + "\n");
    }
}
