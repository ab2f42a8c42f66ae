using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;
using Paude.Sync.Continuous.Helper;
using Paude.Sync.Continuous.TwoWay;

namespace Paude.SessionHelper.Tests.Continuous.TwoWay;

/// <summary>
/// The commit fetch of two-way sync (<see cref="CommitFetcher"/>) over the loop's own helper connection, lent to the
/// sync (SyncContext), against a helper that lies about a bundle (lying-helper.pl <c>bundle-corrupt</c>: the real helper
/// behind a script that flips a byte of the pack). The fetch is refused with nothing written, and the connection of a
/// peer that lied once is dropped (its helper killed) so that the loop reconnects, as for any other protocol violation,
/// instead of going on trusting it.
/// </summary>
public sealed class CommitFetcherLyingBundleTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_corrupt_bundle_over_the_lent_helper_is_refused_and_the_connection_dropped()
    {
        using var session = await LocalRepo.CreateAsync();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("mine.txt", "local\n", "local work");
        for (var i = 0; i < 3; i++)
        {
            await session.CommitAsync($"f{i}.txt", new string('x', 3000) + i, $"agent {i}");
        }

        var before = await local.StateAsync();
        var refsBefore = await local.GitAsync("for-each-ref");
        var packs = PackFiles(local);
        await using var provider = Services();
        var log = Path.Combine(session.Path, ".git", "lying-helper.log");
        await using var helper = await ConnectAsync(session.Path, "bundle-corrupt", log);

        var outcome = await Fetcher(provider, local).FetchIfMovedAsync(helper, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal("forged bundle-corrupt\n", File.ReadAllText(log));
        Assert.NotNull(outcome);
        Assert.IsType<SyncTransportException>(outcome.Error);
        Assert.Equal(0, outcome.Commits);
        Assert.Equal(before, await local.StateAsync());
        Assert.Equal(refsBefore, await local.GitAsync("for-each-ref"));
        Assert.Equal(packs, PackFiles(local));
        // The peer lied: the connection is over and the loop's next request fails typed (it reconnects then).
        Assert.False(helper.Connection.IsOpen);
        await Assert.ThrowsAsync<HelperChannelException>(() => helper.GitAsync(["rev-parse", "HEAD"], 256, CancellationToken.None)).WaitAsync(Bound);
    }

    [Fact]
    public async Task The_same_script_passing_the_bundle_through_fetches_and_keeps_the_connection()
    {
        // The control: the flipped byte is what the test above sees, not the script's plumbing.
        using var session = await LocalRepo.CreateAsync();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("mine.txt", "local\n", "local work");
        var head = await session.CommitAsync("f.txt", new string('x', 3000), "agent");
        await using var provider = Services();
        await using var helper = await ConnectAsync(session.Path, "none");

        var outcome = await Fetcher(provider, local).FetchIfMovedAsync(helper, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(outcome);
        Assert.Null(outcome.Error);
        Assert.Equal(head, outcome.Head);
        Assert.Equal(head, await local.GitAsync("rev-parse", "paude/lying"));
        Assert.True(helper.Connection.IsOpen);
    }

    private static ServiceProvider Services()
    {
        // The backend is named only; a fetch over the lent helper runs no exec.
        var services = new ServiceCollection();
        services.AddPaude().AddPodmanBackend().AddPaudeSync();
        return services.BuildServiceProvider();
    }

    private static CommitFetcher Fetcher(ServiceProvider provider, LocalRepo local) =>
        new(provider.GetRequiredService<ISessionSync>(), SessionName.Parse("lying"), local.Path, new TwoWaySyncOptions { SessionWorkspace = "/workspace" }, TimeProvider.System);

    private static Task<HelperClient> ConnectAsync(string root, string scenario, string? log = null) =>
        LocalHelper.ConnectAsync(root, new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(10) }, "perl",
            [Path.Combine(AppContext.BaseDirectory, "lying-helper.pl"), scenario, LocalHelper.BinaryPath, .. log is null ? Array.Empty<string>() : [log]]);

    private static string[] PackFiles(LocalRepo local)
    {
        var dir = Path.Combine(local.Path, ".git", "objects", "pack");
        return Directory.Exists(dir) ? [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal)] : [];
    }
}
