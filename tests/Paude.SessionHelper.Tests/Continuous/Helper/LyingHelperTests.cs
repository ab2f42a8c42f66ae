using System.Diagnostics;
using System.IO.Hashing;
using Paude.Errors;
using Paude.Sync.Continuous.Helper;

namespace Paude.SessionHelper.Tests.Continuous.Helper;

/// <summary>
/// The push side of the helper against one that lies (lying-helper.pl: the real helper behind a script that forges
/// the replies of writes and reads). A hash the host would record as the session's content must be the hash of what
/// was sent or received; anything else ends the connection typed, in bounded time, writing nothing on the host.
/// </summary>
public sealed class LyingHelperTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private static readonly byte[] Content = "what the host pushes\n"u8.ToArray();
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData("write-wrong-hash", "with another content than was sent")]
    [InlineData("write-other-reply", "answered write with frame type 0x83")]
    [InlineData("write-oversized", "frame of")]
    public async Task A_write_reported_falsely_is_refused_typed(string scenario, string reason)
    {
        await using var helper = await ConnectAsync(scenario, TimeSpan.FromSeconds(5));

        var e = await Refused(() => helper.WriteAsync("a.txt", new MemoryStream(Content), Content.Length, new HelperWriteOptions(), CancellationToken.None));

        Assert.Contains(reason, (e.InnerException ?? e).Message, StringComparison.Ordinal);
        Assert.IsType<UnsafeContentException>(e.InnerException);
        Assert.False(helper.Connection.IsOpen);
        await Assert.ThrowsAsync<HelperChannelException>(() => helper.MkdirAsync("x", 0x1ED, false, CancellationToken.None));
        Assert.Empty(_tree.OutsideContent());
    }

    [Fact]
    public async Task A_read_whose_hash_is_not_its_data_is_refused_typed()
    {
        File.WriteAllBytes(Path.Combine(_tree.Workspace, "a.txt"), Content);
        await using var helper = await ConnectAsync("read-wrong-hash", TimeSpan.FromSeconds(5));
        var sink = new MemoryStream();

        var e = await Refused(() => helper.ReadAsync("a.txt", sink, 1 << 20, CancellationToken.None));

        Assert.Contains("hash that is not the hash of its data", e.Message, StringComparison.Ordinal);
        Assert.IsType<UnsafeContentException>(e.InnerException);
        Assert.Empty(_tree.OutsideContent());
    }

    [Fact]
    public async Task A_write_that_is_never_answered_times_out_and_kills_the_helper()
    {
        await using var helper = await ConnectAsync("write-stall", TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();

        var e = await Refused(() => helper.WriteAsync("a.txt", new MemoryStream(Content), Content.Length, new HelperWriteOptions(), CancellationToken.None));

        Assert.Contains("no reply within 2 s", e.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        Assert.False(helper.Connection.IsOpen);
    }

    [Fact]
    public async Task The_same_script_passing_everything_through_is_a_working_helper()
    {
        // The control: the forging is what the tests above see, not the script's plumbing.
        await using var helper = await ConnectAsync("none", TimeSpan.FromSeconds(5));

        var written = await helper.WriteAsync("a.txt", new MemoryStream(Content), Content.Length, new HelperWriteOptions(), CancellationToken.None);
        var sink = new MemoryStream();
        var info = await helper.ReadAsync("a.txt", sink, 1 << 20, CancellationToken.None);

        Assert.Equal(XxHash128.Hash(Content), written);
        Assert.Equal(written, info.Hash);
        Assert.Equal(Content, sink.ToArray());
        Assert.Equal(Content, File.ReadAllBytes(Path.Combine(_tree.Workspace, "a.txt")));
    }

    private Task<HelperClient> ConnectAsync(string scenario, TimeSpan timeout) =>
        LocalHelper.ConnectAsync(_tree.Workspace, new HelperConnectionOptions { ReplyTimeout = timeout }, "perl",
            Path.Combine(AppContext.BaseDirectory, "lying-helper.pl"), scenario, LocalHelper.BinaryPath);

    private static async Task<HelperChannelException> Refused(Func<Task> act) =>
        await Assert.ThrowsAsync<HelperChannelException>(act).WaitAsync(Bound);
}
