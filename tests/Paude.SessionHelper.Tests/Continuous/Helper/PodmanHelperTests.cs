using System.Diagnostics;
using System.IO.Hashing;
using System.Text;
using Paude.Sync.Continuous.Helper;
using Xunit.Abstractions;

namespace Paude.SessionHelper.Tests.Continuous.Helper;

/// <summary>The helper inside a real Podman session, reached over one exec (injected when the image lacks it).</summary>
[Collection(PodmanHelperGroup.Name)]
public sealed class PodmanHelperTests(PodmanHelperFixture fixture, ITestOutputHelper output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task The_helper_is_used_from_the_image_or_injected_and_round_trips_files()
    {
        var ws = await fixture.WorkspaceAsync();
        bool inImage = (await Podman.RunAsync(["exec", fixture.Container, "test", "-x", SessionHelperLauncher.ImagePath])).ExitCode == 0;
        var launcher = new SessionHelperLauncher(fixture.Backend, new HelperConnectionOptions(), fixture.HelperBinary);
        await using var helper = await launcher.ConnectAsync(fixture.Session, ws, None);

        var bytes = Encoding.UTF8.GetBytes("written by the host\n");
        await helper.WriteAsync("src/a.txt", new MemoryStream(bytes), bytes.Length, new HelperWriteOptions(), None);
        await fixture.ExecAsync("sh", "-c", $"printf 'by the agent' > {ws}/b.txt");
        var entries = await helper.ListAsync([""], [".git"], hash: true, None);
        var read = new MemoryStream();
        var info = await helper.ReadAsync("b.txt", read, 1024, None);

        Assert.Equal(!inImage, launcher.Injected);
        Assert.Equal("written by the host\n", await fixture.ExecAsync("cat", ws + "/src/a.txt"));
        Assert.Equal(["b.txt", "src", "src/a.txt"], entries.Select(e => e.Path));
        Assert.Equal(XxHash128.Hash(bytes), entries.Single(e => e.Path == "src/a.txt").Hash);
        Assert.Equal("by the agent", Encoding.UTF8.GetString(read.ToArray()));
        Assert.Equal(XxHash128.Hash("by the agent"u8), info.Hash);
    }

    [Fact]
    public async Task A_link_planted_by_the_agent_is_never_written_through()
    {
        var ws = await fixture.WorkspaceAsync();
        var outside = await fixture.WorkspaceAsync();
        await fixture.ExecAsync("ln", "-s", outside, ws + "/out");
        await using var helper = await fixture.ConnectAsync(ws);

        var e = await Assert.ThrowsAsync<HelperOperationException>(() => helper.WriteAsync("out/x", new MemoryStream([1]), 1, new HelperWriteOptions(), None));

        Assert.Equal(HelperErrorCode.LinkRefused, e.Code);
        Assert.Equal("", await fixture.ExecAsync("ls", "-A", outside));
    }

    [Fact]
    public async Task An_edit_in_the_session_arrives_as_an_event_and_the_figures_are_reported()
    {
        var ws = await fixture.WorkspaceAsync();
        await using var helper = await fixture.ConnectAsync(ws);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = helper.WatchAsync([".git"], cts.Token).GetAsyncEnumerator(cts.Token);
        var started = events.MoveNextAsync().AsTask();
        await Task.Delay(500, cts.Token);

        var latencies = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            // The edit is made by a separate exec (as the agent would); the clock stops when its event arrives.
            var path = $"f{i}.txt";
            var clock = Stopwatch.StartNew();
            var edit = Podman.RunAsync(["exec", fixture.Container, "sh", "-c", $"echo {i} > {ws}/{path}"]);
            var seen = i == 0 ? await started && events.Current.Path == path : false;
            while (!seen && await events.MoveNextAsync()) seen = events.Current.Path == path;
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            (await edit).EnsureSuccess("edit");
        }

        var small = new MemoryStream();
        var reads = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++) { small.SetLength(0); await helper.ReadAsync("f0.txt", small, 1024, None); }
        double perRead = reads.Elapsed.TotalMilliseconds / 20;
        var exec = Stopwatch.StartNew();
        for (int i = 0; i < 5; i++) await fixture.ExecAsync("cat", ws + "/f0.txt");
        double perExec = exec.Elapsed.TotalMilliseconds / 5;

        latencies.Sort();
        output.WriteLine($"session edit -> host event (incl. the edit's own podman exec): median {latencies[3]:0} ms, max {latencies[^1]:0} ms");
        output.WriteLine($"small-file read over the helper: {perRead:0.0} ms; podman exec cat: {perExec:0} ms");
        Assert.True(latencies[3] < 5000, $"median {latencies[3]} ms");
        Assert.True(perRead < perExec, $"a read over the open channel ({perRead:0.0} ms) should beat a new exec ({perExec:0} ms)");
    }

    [Fact]
    public async Task A_killed_helper_fails_the_connection_promptly_and_a_new_one_works()
    {
        var ws = await fixture.WorkspaceAsync();
        var helper = await fixture.ConnectAsync(ws);
        await helper.MkdirAsync("d", 0x1FD, false, None);

        var pids = (await fixture.ExecAsync("sh", "-c", "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = paude-session-h ] && echo ${p#/proc/}; done; true")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(pids);
        await fixture.ExecAsync(["kill", "-9", .. pids]);
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<HelperChannelException>(async () =>
        {
            while (true) { await helper.MkdirAsync("d", 0x1FD, false, None); await Task.Delay(50); }
        });
        var failedAfter = clock.Elapsed;
        await helper.DisposeAsync();
        await using var again = await fixture.ConnectAsync(ws);
        var entries = await again.ListAsync([""], [], hash: false, None);

        Assert.True(failedAfter < TimeSpan.FromSeconds(5), $"noticed after {failedAfter}");
        Assert.Equal(["d"], entries.Select(e => e.Path));
    }
}
