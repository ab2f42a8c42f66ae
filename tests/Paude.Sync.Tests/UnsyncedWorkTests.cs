using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// "What would deleting this session lose": commits no local ref reaches and session files the workspace does not
/// have — and nothing once they are synced back.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class UnsyncedWorkTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task Unsynced_commits_stashes_and_working_files_are_named_until_they_are_synced_back()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "X");
        local.Write("pushed-untracked.txt", "the session got this from here\n");
        await PushAsync(session, local, ws);
        var options = new SyncOptions { SessionWorkspace = ws };
        Assert.True((await Fixture.Sync.FindUnsyncedWorkAsync(session, local.Path, options)).IsEmpty);

        var s1 = await Fixture.CommitAsync(session, ws, "b.txt", "b\n", "S1 agent work");
        await Fixture.WriteAsync(session, ws, "a.txt", "uncommitted edit\n");
        await Fixture.WriteAsync(session, ws, "new.txt", "untracked\n");
        await Fixture.WriteAsync(session, ws, "node_modules/dep.js", "excluded\n");

        var work = await Fixture.Sync.FindUnsyncedWorkAsync(session, local.Path, options);

        Assert.Equal([$"{s1[..10]} S1 agent work"], work.Commits);
        Assert.Equal(["a.txt", "new.txt"], work.Paths);
        var refused = new UnsyncedWorkException(session.Value, work);
        Assert.Contains("S1 agent work", refused.Message, StringComparison.Ordinal);
        Assert.Contains("new.txt", refused.Message, StringComparison.Ordinal);

        await PullAsync(session, local, ws, SyncStrategy.Branch);
        await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);
        var after = await Fixture.Sync.FindUnsyncedWorkAsync(session, local.Path, options);
        Assert.True(after.IsEmpty, string.Join(", ", after.Commits.Concat(after.Paths)));
    }
}
