using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

[Collection(SyncGroup.Name)]
public sealed class GitTransportTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task Push_initialises_the_session_repository_and_branch_pull_brings_session_commits_back()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var x = await local.CommitAsync("README.md", "hello\n", "X");
        local.Write("notes.txt", "uncommitted\n");

        var pushed = await PushAsync(session, local, ws);

        Assert.Equal(1, pushed.CommitsTransferred);
        Assert.Equal(["notes.txt"], pushed.FilesChanged);
        Assert.Equal(x, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("main", (await Fixture.GitAsync(session, ws, "symbolic-ref", "--short", "HEAD")).Trim());
        Assert.Equal("uncommitted\n", await Fixture.ExecAsync(session, "cat", ws + "/notes.txt"));

        var a1 = await Fixture.CommitAsync(session, ws, "feature.txt", "a1\n", "A1");
        var before = await local.StateAsync();
        var pulled = await PullAsync(session, local, ws, SyncStrategy.Branch);

        Assert.Equal(1, pulled.CommitsTransferred);
        Assert.Equal(a1, await local.GitAsync("rev-parse", "refs/heads/paude/" + session.Value));
        Assert.Equal(before, await local.StateAsync());
        Assert.Equal(string.Empty, await local.GitAsync("remote"));
        Assert.DoesNotContain("paude-exec", File.ReadAllText(Path.Combine(local.Path, ".git", "config")), StringComparison.Ordinal);
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }
}
