using System.Diagnostics;
using Paude.Errors;
using Paude.Sync.Continuous.Helper;

namespace Paude.SessionHelper.Tests.Continuous.Helper;

/// <summary>
/// The host against a helper the agent replaced (hostile-helper.pl): hostile frames end the connection with a typed
/// error within bounded time and memory; nothing it names is taken as a path outside the workspace.
/// </summary>
public sealed class HostileHelperTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData("dotdot", "not a plain relative path")]
    [InlineData("absolute", "not a plain relative path")]
    [InlineData("git-dir", "not a plain relative path")]
    [InlineData("not-asked", "not under any path asked for")]
    [InlineData("huge-length", "frame of")]
    [InlineData("bad-utf8", "not UTF-8")]
    [InlineData("string-past-end", "ends inside a field")]
    [InlineData("unknown-id", "never made")]
    public async Task A_listing_with_hostile_content_is_refused(string scenario, string reason)
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, scenario);

        var e = await Refused(() => helper.ListAsync(["src"], [], hash: false, CancellationToken.None));

        Assert.Contains(reason, (e.InnerException ?? e).Message, StringComparison.Ordinal);
        Assert.IsType<UnsafeContentException>(e.InnerException);
        Assert.False(helper.Connection.IsOpen);
        Assert.Empty(_tree.OutsideContent());
    }

    [Fact]
    public async Task A_listing_that_never_ends_is_cut_at_the_entry_limit()
    {
        var options = new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(5), MaxEntries = 1000 };
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace, options, "perl", Path.Combine(AppContext.BaseDirectory, "hostile-helper.pl"), "endless-list");

        var e = await Refused(() => helper.ListAsync([""], [], hash: false, CancellationToken.None));

        Assert.Contains("more than 1000 entries", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_read_that_never_ends_is_cut_at_the_size_allowed()
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, "endless-read");
        var sink = new MemoryStream();

        var e = await Refused(() => helper.ReadAsync("f", sink, 1 << 20, CancellationToken.None));

        Assert.Contains("larger than", e.Message, StringComparison.Ordinal);
        Assert.True(sink.Length <= 1 << 20);
    }

    [Fact]
    public async Task A_read_whose_end_does_not_match_its_data_is_refused()
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, "short-read");

        var e = await Refused(() => helper.ReadAsync("f", Stream.Null, 1 << 20, CancellationToken.None));

        Assert.Contains("announced as 1000 bytes but 3 came", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("silent")]
    [InlineData("trickle")]
    public async Task A_helper_that_stalls_times_out_and_is_killed(string scenario)
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, scenario, TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        var e = await Refused(() => helper.ListAsync([""], [], hash: false, CancellationToken.None));

        Assert.Contains("no reply within 2 s", e.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(8));
        await Assert.ThrowsAsync<HelperChannelException>(() => helper.MkdirAsync("x", 0x1ED, false, CancellationToken.None));
    }

    [Fact]
    public async Task A_helper_that_exits_fails_the_request_at_once()
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, "exit", TimeSpan.FromSeconds(30));
        var clock = Stopwatch.StartNew();

        await Refused(() => helper.ListAsync([""], [], hash: false, CancellationToken.None));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_watch_event_naming_a_path_outside_the_workspace_ends_the_watch()
    {
        await using var helper = await LocalHelper.ConnectHostileAsync(_tree.Workspace, "event-escape");

        var e = await Refused(async () => { await foreach (var _ in helper.WatchAsync([], CancellationToken.None)) { } });

        Assert.IsType<UnsafeContentException>(e.InnerException ?? e);
    }

    [Fact]
    public async Task A_flood_of_watch_events_is_bounded_and_turns_into_an_overflow()
    {
        var options = new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(5), MaxQueuedEvents = 100 };
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace, options, "perl", Path.Combine(AppContext.BaseDirectory, "hostile-helper.pl"), "event-flood");
        using var cts = new CancellationTokenSource(Bound);
        var kinds = new List<HelperChangeKind>();

        await foreach (var change in helper.WatchAsync([], cts.Token))
        {
            if (kinds.Count == 0) await Task.Delay(2000, cts.Token); // a slow consumer: the flood fills the queue
            kinds.Add(change.Kind);
            if (change.Kind == HelperChangeKind.Overflow) break;
        }

        Assert.Equal(HelperChangeKind.Overflow, kinds[^1]);
        Assert.InRange(kinds.Count, 2, 102);
    }

    private static async Task<HelperChannelException> Refused(Func<Task> act)
    {
        var task = Assert.ThrowsAsync<HelperChannelException>(act);
        return await task.WaitAsync(Bound);
    }
}
