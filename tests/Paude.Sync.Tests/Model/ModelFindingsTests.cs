using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Model;

/// <summary>Bugs the model-based test found, each reduced by hand to its smallest form.</summary>
[Collection(SyncGroup.Name)]
public sealed class ModelFindingsTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    /// <summary>
    /// Model seed bbIcQl_KsKO2 (soak): a merge pull over a staged deletion whose path was written again (untracked)
    /// threw LibGit2Sharp.CheckoutConflictException — untyped — although the merge itself does not touch that path:
    /// libgit2 refuses to check out over an index that differs from HEAD. It must be a typed refusal that changes
    /// nothing.
    /// </summary>
    [Fact]
    public async Task A_merge_pull_over_a_staged_deletion_is_a_typed_refusal_that_changes_nothing()
    {
        var session = await Fixture.SessionAsync("model");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("f0.txt", "base\n", "base");
        await local.CommitAsync("d/f3.txt", "three\n", "three");
        await PushAsync(session, local, ws);
        await Fixture.CommitAsync(session, ws, "f0.txt", "session\n", "session change");
        await local.CommitAsync("f1.txt", "local\n", "local change"); // histories diverge: a real merge, not a fast-forward
        await local.GitAsync("rm", "-q", "d/f3.txt");
        local.Write("d/f3.txt", "written again\n");
        var before = await local.StateAsync();

        var refusal = await Record.ExceptionAsync(() => PullAsync(session, local, ws, SyncStrategy.Merge));

        Assert.True(refusal is UnsafeSyncException or SyncConflictException, $"expected a typed refusal, got {refusal?.GetType().FullName ?? "success"}: {refusal?.Message}");
        Assert.Equal(before, await local.StateAsync());
        Assert.False(File.Exists(Path.Combine(local.Path, ".git", "MERGE_HEAD")), "a merge was left in progress");
    }
}
