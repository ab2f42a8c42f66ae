using Paude.Sync;
using Paude.TestSupport;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// What a hostile session puts in its git history and the host reads: attributes naming filter, diff and merge
/// drivers, and commit subjects. Real git in a real Podman session; the host merges and checks out with libgit2.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class HostileGitTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    /// <summary>
    /// The session commits <c>.gitattributes</c> naming drivers that the user's own repository config defines (a
    /// user's config may well define a filter: git-lfs does). A sync that merges or overwrites the branch, and so
    /// checks the session's files out on the host, must run none of them: the session must not pick what runs here.
    /// </summary>
    [Theory]
    [InlineData(SyncStrategy.Merge)]
    [InlineData(SyncStrategy.Overwrite)]
    [InlineData(SyncStrategy.Branch)]
    public async Task Session_attributes_naming_the_users_drivers_run_none_of_them_on_the_host(SyncStrategy strategy)
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("both.txt", "one\ntwo\nthree\nfour\nfive\nsix\n"));
        var marker = Path.Combine(Path.GetTempPath(), $"paude-audit-driver-ran-{Guid.NewGuid():N}");
        var run = $"touch '{marker}'";
        foreach (var (key, value) in new[]
        {
            ("filter.evil.smudge", run + "; cat"), ("filter.evil.clean", run + "; cat"), ("filter.evil.process", run),
            ("filter.evil.required", "true"), ("diff.evil.textconv", run + "; cat"), ("diff.evil.command", run),
            ("merge.evil.driver", run + "; false"),
        })
        {
            await local.GitAsync("config", key, value);
        }

        await Fixture.WriteAsync(session, ws, ".gitattributes", "* filter=evil diff=evil merge=evil\n");
        await Fixture.WriteAsync(session, ws, "both.txt", "one\ntwo\nthree\nfour\nfive\nsix session\n");
        await Fixture.WriteAsync(session, ws, "session.txt", "from the session\n");
        await Fixture.GitAsync(session, ws, "add", "-A");
        await Fixture.GitAsync(session, ws, "commit", "-q", "-m", "agent: attributes");
        if (strategy == SyncStrategy.Merge)
        {
            // A change of its own on the same file: a real three-way content merge, where a merge driver would run.
            local.Write("both.txt", "one local\ntwo\nthree\nfour\nfive\nsix\n");
            await local.GitAsync("commit", "-q", "-am", "local edit");
        }

        var result = await PullAsync(session, local, ws, strategy, force: strategy == SyncStrategy.Overwrite);

        Assert.False(File.Exists(marker), $"a driver named by the session's .gitattributes ran on the host ({strategy})");
        if (strategy == SyncStrategy.Branch)
        {
            Assert.Equal("from the session\n", await local.GitAsync("show", $"paude/{session.Value}:session.txt") + "\n");
            return;
        }

        Assert.NotNull(result.Commit);
        Assert.Equal("from the session\n", local.Read("session.txt"));
        Assert.Equal(strategy == SyncStrategy.Merge ? "one local\ntwo\nthree\nfour\nfive\nsix session\n" : "one\ntwo\nthree\nfour\nfive\nsix session\n", local.Read("both.txt"));
    }

    /// <summary>
    /// A session commit whose subject is a megabyte of ESC sequences: a refused push names it as a display string —
    /// cut short and free of control characters — in <see cref="UnsafeSyncException.CommitsAtRisk"/> and the message.
    /// </summary>
    [Fact]
    public async Task A_refused_push_names_a_hostile_session_commit_subject_cut_and_without_control_characters()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));
        await Fixture.ExecAsync(session, "bash", "-c",
            "cd \"$1\" && echo agent > agent.txt && git add -A && git -c user.name=A -c user.email=a@b commit -q -F <(printf 'agent\\033]52;c;cHduZWQ=\\007\\r'; head -c 1000000 /dev/zero | tr '\\0' '\\033')",
            "bash", ws);
        local.Write("a.txt", "local\n");
        await local.GitAsync("commit", "-q", "-am", "local");

        var refused = await Assert.ThrowsAsync<UnsafeSyncException>(() => PushAsync(session, local, ws));

        var commit = Assert.Single(refused.CommitsAtRisk);
        Assert.StartsWith((await Fixture.GitAsync(session, ws, "rev-parse", "--short=10", "HEAD")).Trim() + " agent ]52;c;cHduZWQ=", commit, StringComparison.Ordinal);
        Assert.True(commit.Length <= 10 + 1 + 72, $"{commit.Length} characters");
        Assert.DoesNotContain(commit, char.IsControl);
        Assert.DoesNotContain(refused.Message, c => char.IsControl(c) && c is not '\n' and not '\t');
        Assert.True(refused.Message.Length < 2_000, $"{refused.Message.Length} characters");
    }

    /// <summary>
    /// A session commit adding 1.1 GB of zeros (about a megabyte on the wire): a merge or overwrite would hold it whole
    /// in memory to check it out, so both refuse it typed, naming the file, before changing anything; the branch
    /// strategy still brings the commit back.
    /// </summary>
    [Fact]
    public async Task A_compressed_huge_session_file_is_refused_by_merge_and_overwrite_and_kept_by_branch()
    {
        using var local = await LocalRepo.CreateAsync();
        var (session, ws) = await PushedAsync(local, ("a.txt", "a\n"));
        await Fixture.ExecAsync(session, "bash", "-c",
            "cd \"$1\" && head -c 1100000000 /dev/zero > big.bin && git add big.bin && git -c user.name=A -c user.email=a@b commit -qm big && rm big.bin",
            "bash", ws);
        var before = await local.StateAsync();

        foreach (var strategy in new[] { SyncStrategy.Merge, SyncStrategy.Overwrite })
        {
            var refused = await Assert.ThrowsAsync<Paude.Errors.UnsafeContentException>(() => PullAsync(session, local, ws, strategy));
            Assert.Equal("big.bin", refused.Entry);
            Assert.Equal(before, await local.StateAsync());
            Assert.False(local.Exists("big.bin"));
        }

        var branch = await PullAsync(session, local, ws, SyncStrategy.Branch);
        Assert.Equal("1100000000", await local.GitAsync("cat-file", "-s", $"paude/{session.Value}:big.bin"));
        Assert.True(branch.BytesMoved < 20_000_000, $"{branch.BytesMoved} bytes moved");
    }
}
