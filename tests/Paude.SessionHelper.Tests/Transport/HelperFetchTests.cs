using LibGit2Sharp;
using Paude.Sync;
using Paude.Sync.Transport;

namespace Paude.SessionHelper.Tests.Transport;

/// <summary>
/// Fetching a session's HEAD through the helper (HelperFetch: rev-parse, rev-list of the haves, a bundle streamed into
/// libgit2's indexer): with the real helper over a real repository, and against a helper that lies (hostile-helper.pl).
/// </summary>
public sealed class HelperFetchTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task The_new_commits_arrive_and_only_what_the_local_side_lacks_is_sent()
    {
        using var session = await LocalRepo.CreateAsync();
        using var local = await LocalRepo.CreateAsync();
        for (var i = 0; i < 20; i++)
        {
            await session.CommitAsync($"f{i % 5}.txt", new string('x', 4000) + i, $"c{i}");
        }

        await using var helper = await LocalHelper.ConnectAsync(session.Path);
        using var repo = new Repository(local.Path);
        var first = await HelperFetch.TryFetchHeadAsync(helper, repo, [], SessionFetch_Max, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal((await session.GitAsync("rev-parse", "HEAD")).Trim(), first.Value.Head.Sha);
        Assert.Equal(20, repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = first.Value.Head }).Count());

        var newest = await session.CommitAsync("f1.txt", "changed", "one more");
        var second = await HelperFetch.TryFetchHeadAsync(helper, repo, [first.Value.Head.Id, new ObjectId(new string('1', 40))], SessionFetch_Max, CancellationToken.None);
        Assert.Equal(newest, second!.Value.Head.Sha);
        Assert.True(second.Value.Bytes < first.Value.Bytes / 4, $"incremental {second.Value.Bytes} B vs first {first.Value.Bytes} B");

        // Unchanged: no bundle at all, the probe only.
        var third = await HelperFetch.TryFetchHeadAsync(helper, repo, [second.Value.Head.Id], SessionFetch_Max, CancellationToken.None);
        Assert.Equal(newest, third!.Value.Head.Sha);
        Assert.True(third.Value.Bytes <= 41);
    }

    [Fact]
    public async Task A_repository_without_commits_is_left_to_the_exec_path()
    {
        using var session = await LocalRepo.CreateAsync();
        using var local = await LocalRepo.CreateAsync();
        await using var helper = await LocalHelper.ConnectAsync(session.Path);
        using var repo = new Repository(local.Path);

        Assert.Null(await HelperFetch.TryFetchHeadAsync(helper, repo, [], SessionFetch_Max, CancellationToken.None));
    }

    [Theory]
    [InlineData("bundle-garbage", "")]
    [InlineData("bundle-other-ref", "not HEAD once")]
    [InlineData("bundle-not-a-bundle", "instead of a git bundle")]
    [InlineData("bundle-endless-header", "bundle header exceeds")]
    public async Task A_lying_bundle_is_refused_typed_and_nothing_is_written(string scenario, string reason)
    {
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a", "local");
        var before = await local.StateAsync();
        var packs = Path.Combine(local.Path, ".git", "objects", "pack");
        var packsBefore = Directory.Exists(packs) ? Directory.GetFiles(packs).Length : 0;
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, scenario);
        using var repo = new Repository(local.Path);

        var e = await Assert.ThrowsAsync<SyncTransportException>(() => HelperFetch.TryFetchHeadAsync(helper, repo, [], SessionFetch_Max, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\e", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await local.StateAsync());
        Assert.Equal(packsBefore, Directory.Exists(packs) ? Directory.GetFiles(packs).Length : 0);
    }

    private const long SessionFetch_Max = 64L * 1024 * 1024;
}
