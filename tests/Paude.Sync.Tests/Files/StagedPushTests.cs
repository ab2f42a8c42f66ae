using System.Security.Cryptography;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Every push stages first: an interrupted push leaves each session file with its old or its new content, never a
/// truncated one, and the next push removes what the interruption left in the staging folder.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class StagedPushTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    private const int LargeSize = 96 * 1024 * 1024;

    private static byte[] RandomContent(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private async Task<string> SessionHashAsync(Sessions.SessionName session, string file) =>
        (await Fixture.ExecAsync(session, "sha256sum", "--", file))[..64];

    private async Task<string> StagingLeftoversAsync(Sessions.SessionName session, string ws) =>
        (await Fixture.ExecAsync(session, "find", ws, "-name", ".paude-staging-*")).Trim();

    [Fact]
    public async Task A_push_cancelled_mid_stream_leaves_the_old_or_the_new_file_never_a_partial_one_and_the_next_push_cleans_up()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("big.bin", "old\n"));
        var oldHash = Convert.ToHexStringLower(SHA256.HashData("old\n"u8));
        var content = RandomContent(LargeSize, 3);
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "big.bin"), content);
        var newHash = Convert.ToHexStringLower(SHA256.HashData(content));

        // A watcher in the session: ends once a staged copy holds more than 8 MB, i.e. mid-transfer.
        using var cts = new CancellationTokenSource();
        var midTransfer = Podman.RunAsync(["exec", SyncFixture.Container(session), "bash", "-c",
            "for i in $(seq 1 3000); do [ -n \"$(find \"$1\" -path '*.paude-staging-*' -name big.bin -size +8M)\" ] && exit 0; sleep 0.01; done; exit 1", "bash", ws]);
        var push = SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch, cancellationToken: cts.Token);
        Assert.Equal(0, (await midTransfer).ExitCode);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => push);

        var seen = await SessionHashAsync(session, ws + "/big.bin");
        Assert.True(seen == oldHash || seen == newHash, $"the session holds a partly written big.bin ({seen})");

        var next = await PushAsync(session, local, ws);
        Assert.Equal(newHash, await SessionHashAsync(session, ws + "/big.bin"));
        Assert.Equal(string.Empty, await StagingLeftoversAsync(session, ws));
        Assert.Equal(["big.bin"], next.FilesChanged);
        Assert.Equal("M big.bin", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());
    }

    [Fact]
    public async Task A_transfer_cut_in_the_session_places_nothing_and_stale_staging_folders_are_removed_by_the_next_push()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));

        // What interrupted pushes leave behind (the process killed, the container restarted): staging folders.
        await Fixture.WriteAsync(session, ws, ".git/.paude-staging-killed1/a.txt", "half");
        await Fixture.WriteAsync(session, ws, ".paude-staging-killed2/src/b.txt", "half");

        // The channel drops mid-stream: the session's tar is killed while it extracts a large file.
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "big.bin"), RandomContent(LargeSize, 4));
        local.Write("a.txt", "edited\n");
        var killer = Podman.RunAsync(["exec", SyncFixture.Container(session), "bash", "-c",
            "for i in $(seq 1 3000); do p=$(pgrep -f -x 'tar -x --no-same-owner -f - -C [.]git/[.]paude-staging-[A-Za-z0-9-]+'); [ -n \"$p\" ] && [ -n \"$(find \"$1\" -name big.bin -size +8M)\" ] && exec kill -9 $p; sleep 0.01; done; exit 1", "bash", ws]);
        var cut = await Assert.ThrowsAnyAsync<SyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(0, (await killer).ExitCode);
        Assert.Contains("exit 6", cut.Message, StringComparison.Ordinal);
        Assert.Equal("a\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.NotEqual(0, (await Podman.RunAsync(["exec", SyncFixture.Container(session), "test", "-e", ws + "/big.bin"])).ExitCode);

        var next = await PushAsync(session, local, ws);
        Assert.Equal(["a.txt", "big.bin"], next.FilesChanged);
        Assert.Equal("edited\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal(string.Empty, await StagingLeftoversAsync(session, ws));
    }

    [Fact]
    public async Task The_full_path_and_the_file_level_push_upload_through_staging_too()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        await Fixture.WriteAsync(session, ws, "theirs.txt", "session file\n");
        await Fixture.WriteAsync(session, ws, ".paude-staging-stale/x.txt", "left by an interrupted push");
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("deep/er/new.txt", "new\n");
        local.Write("run.sh", "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(local.Path, "run.sh"), (UnixFileMode)0b111_101_101);

        var pushed = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);

        Assert.Equal(["deep/er/new.txt", "run.sh"], pushed.FilesChanged.Order(StringComparer.Ordinal));
        Assert.Equal("new\n", await Fixture.ExecAsync(session, "cat", ws + "/deep/er/new.txt"));
        Assert.Equal("755", (await Fixture.ExecAsync(session, "stat", "-c", "%a", ws + "/run.sh")).Trim());
        Assert.Equal("session file\n", await Fixture.ExecAsync(session, "cat", ws + "/theirs.txt"));
        Assert.Equal(string.Empty, await StagingLeftoversAsync(session, ws));
    }

    [Fact]
    public async Task A_local_file_that_vanishes_during_an_upload_fails_typed_places_nothing_and_does_not_hang()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        using var local = await LocalRepo.CreateAsync(git: false);
        var big = RandomContent(LargeSize / 2, 5);
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "a-big.bin"), big);
        local.Write("zz-last.txt", "sent after the big file\n");

        // The file goes while the archive streams (the session's tar paused, so the host is still in the big file).
        var deleter = await DeleteMidStreamAsync(session, "tar -x --no-same-owner -f - -C [.]/[.]paude-staging-[A-Za-z0-9-]+", Path.Combine(local.Path, "zz-last.txt"));
        var failed = await Assert.ThrowsAsync<SyncTransportException>(() => SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude).WaitAsync(TimeSpan.FromMinutes(2)));
        await deleter;

        Assert.Contains("changed or vanished", failed.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "find", ws, "-mindepth", "1", "-maxdepth", "1", "!", "-name", ".paude-staging-*")).Trim());
        var next = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);
        Assert.Equal(["a-big.bin"], next.FilesChanged);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), await SessionHashAsync(session, ws + "/a-big.bin"));
        Assert.Equal(string.Empty, await StagingLeftoversAsync(session, ws));
    }

    [Fact]
    public async Task A_local_file_that_vanishes_during_an_incremental_push_fails_typed_and_changes_nothing()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));
        var big = RandomContent(LargeSize / 2, 6);
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "a-big.bin"), big);
        local.Write("zz-last.txt", "sent after the big file\n");

        var deleter = await DeleteMidStreamAsync(session, "tar -x --no-same-owner -f - -C [.]git/[.]paude-staging-[A-Za-z0-9-]+", Path.Combine(local.Path, "zz-last.txt"));
        var failed = await Assert.ThrowsAsync<SyncTransportException>(() => PushAsync(session, local, ws).WaitAsync(TimeSpan.FromMinutes(2)));
        await deleter;

        Assert.Contains("changed or vanished", failed.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());
        var next = await PushAsync(session, local, ws);
        Assert.Equal(["a-big.bin"], next.FilesChanged);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(big)), await SessionHashAsync(session, ws + "/a-big.bin"));
        Assert.Equal(string.Empty, await StagingLeftoversAsync(session, ws));
    }
}
