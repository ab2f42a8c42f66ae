using Paude.Errors;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// A hostile session's links stay hostile on both push paths: a link the agent put in place of a file or of a folder
/// on the way (absolute or relative, to outside the workspace or to another session file) is never written or
/// deleted through — checked on the target's bytes and modification time, not on the report — also when the agent
/// swaps a folder for a link while the push runs.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class PushThroughLinkTests(SyncFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : SyncTestBase(fixture)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Neither_push_writes_or_deletes_through_a_session_link(bool force)
    {
        using var local = await LocalRepo.CreateAsync();
        var twins = await PushPathTwins.CreateAsync(Fixture, local,
            ("keep.txt", "keep\n"), ("t.txt", "t\n"), ("rel.txt", "r\n"), ("sub/x.txt", "x\n"), ("gone/target", "outside\n"), ("up/b/c", "c\n"));

        // The agent: t.txt -> $outside/target (absolute), rel.txt -> keep.txt (relative, a session file), sub -> $outside
        // (a leading folder), gone -> $outside, where a file of the pushed content waits (git sees nothing changed),
        // up -> .. (relative leading link).
        await twins.InBothAsync("rm t.txt rel.txt && ln -s \"$1/target\" t.txt && ln -s keep.txt rel.txt && "
            + "rm -r sub gone up && ln -s \"$1\" sub && ln -s \"$1\" gone && ln -s .. up && printf 'x\\n' > \"$1/x.txt\" && touch -d 2001-01-01 \"$1/x.txt\" keep.txt");
        local.Write("t.txt", "host t\n");
        local.Write("rel.txt", "host rel\n");
        local.Write("sub/x.txt", "host x\n");
        local.Write("sub/new.txt", "host new\n");
        local.Write("up/b/c", "host c\n");
        local.Write("up/b/new", "host new\n");
        File.Delete(Path.Combine(local.Path, "gone/target"));
        var before = await twins.OutsideAsync();
        var keep = await LinkTargetsAsync(twins);

        foreach (var (session, ws) in new[] { (twins.A, twins.WorkspaceA), (twins.B, twins.WorkspaceB) })
        {
            SyncResult? result = null;
            var outcome = await Record.ExceptionAsync(async () => result = await twins.PushAsync(session, ws, local, force: force));
            output.WriteLine($"{(session == twins.A ? "incremental" : "full")}: {outcome?.Message ?? $"written [{string.Join(", ", result!.FilesChanged)}], deleted [{string.Join(", ", result.FilesDeleted)}], conflicts [{string.Join(", ", result.Conflicts)}]"}");
            Assert.True(outcome is null or UnsafeSyncException or UnsafeContentException, $"{(session == twins.A ? "incremental" : "full")}: {outcome}");
        }

        Assert.Equal(before, await twins.OutsideAsync());
        Assert.Equal(keep, await LinkTargetsAsync(twins));
    }

    /// <summary>
    /// The agent swaps <c>sub</c> (a folder the push writes into) for a link to an outside folder and back, as fast as
    /// it can, while each push runs: every write lands inside the workspace or the push fails; the outside folder's
    /// file keeps its bytes and time and nothing new appears there.
    /// </summary>
    [Fact]
    public async Task A_folder_swapped_for_a_link_during_the_push_is_never_written_through()
    {
        var swap = "cd \"$2\" && n=0; while [ ! -e \"$3\" ]; do if mv -T sub sub.away 2>/dev/null; then ln -s \"$1\" sub; n=$((n+1)); rm -f sub; mv -T sub.away sub 2>/dev/null || true; fi; done; echo $n";
        var outcomes = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            // Fresh twins each round: a round the race won leaves the session's folder in a state the next push refuses.
            using var local = await LocalRepo.CreateAsync();
            var twins = await PushPathTwins.CreateAsync(Fixture, local, ("sub/a.txt", "a\n"), ("sub/deep/b.txt", "b\n"), ("ok.txt", "ok\n"));
            await twins.InBothAsync("printf 'a\\n' > \"$1/a.txt\" && mkdir -p \"$1/deep\" && printf 'b\\n' > \"$1/deep/b.txt\" && touch -d 2001-01-01 \"$1/a.txt\" \"$1/deep/b.txt\"");
            var before = await twins.OutsideAsync();
            local.Write("sub/a.txt", $"round {round}\n");
            local.Write("sub/deep/b.txt", $"deep {round}\n");
            local.Write("sub/new.txt", $"new {round}\n");
            local.Write("ok.txt", $"ok {round}\n");
            foreach (var (session, ws) in new[] { (twins.A, twins.WorkspaceA), (twins.B, twins.WorkspaceB) })
            {
                var stop = $"/tmp/stop-{Guid.NewGuid():N}";
                var swapper = Podman.RunAsync(["exec", SyncFixture.Container(session), "bash", "-c", swap, "bash", twins.Outside, ws, stop]);
                var outcome = await Record.ExceptionAsync(() => twins.PushAsync(session, ws, local));
                await Fixture.ExecAsync(session, "touch", stop);
                var swaps = (await swapper).EnsureSuccess("the swap loop").StandardOutput.Trim();
                Assert.True(outcome is null or UnsafeSyncException or UnsafeContentException or SyncTransportException, $"round {round}: {outcome}");
                outcomes.Add($"round {round} {(session == twins.A ? "incremental" : "full")}: {outcome?.GetType().Name ?? "pushed"} ({swaps} swaps)");
            }

            Assert.Equal(before, await twins.OutsideAsync());
        }

        output.WriteLine(string.Join("\n", outcomes));
        Assert.DoesNotContain(outcomes, o => o.EndsWith("(0 swaps)", StringComparison.Ordinal));
    }

    /// <summary>The session file a relative link points at (keep.txt): bytes and time, in both sessions.</summary>
    private async Task<string> LinkTargetsAsync(PushPathTwins twins) =>
        await Fixture.ExecAsync(twins.A, "stat", "-c", "%s %Y", twins.WorkspaceA + "/keep.txt") + await Fixture.ExecAsync(twins.A, "cat", twins.WorkspaceA + "/keep.txt")
        + await Fixture.ExecAsync(twins.B, "stat", "-c", "%s %Y", twins.WorkspaceB + "/keep.txt") + await Fixture.ExecAsync(twins.B, "cat", twins.WorkspaceB + "/keep.txt");
}
