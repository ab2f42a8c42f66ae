using System.Text;
using LibGit2Sharp;
using Paude.Errors;
using Paude.Sync;
using Paude.Sync.Transport;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// The fetch path (session → local): one <c>git-upload-pack</c> exec speaking protocol v2, the pack streamed into
/// libgit2's indexer, a connectivity check. Hostile sessions get a planted <c>git-upload-pack</c> that answers with
/// crafted bytes: every refusal is a typed error and leaves the local repository exactly as it was.
/// </summary>
[Collection(SyncGroupB.Name)]
public sealed class FetchTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    public static TheoryData<string> HostileAnswers => ["garbage-pack", "incomplete-pack", "bad-ref-listing", "error-band", "err-line", "truncated"];

    [Fact]
    public async Task An_incremental_fetch_transfers_only_the_new_objects_and_an_unchanged_session_sends_no_pack()
    {
        var session = await Fixture.SessionAsync("fetch");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "bash", "-c",
            "set -e; git init -q -b main \"$1\"; cd \"$1\"; for i in $(seq 1 40); do printf '%s\\n' \"$i\" > \"f$((i % 8)).txt\"; git add -A; git -c user.name=a -c user.email=a@b commit -q -m \"c$i\"; done",
            "bash", ws);
        using var local = await LocalRepo.CreateAsync();

        var first = await PullAsync(session, local, ws, SyncStrategy.Branch);
        var tip = await Fixture.CommitAsync(session, ws, "f1.txt", "changed\n", "c41");
        var second = await PullAsync(session, local, ws, SyncStrategy.Branch);
        var packs = PackFiles(local);
        var third = await PullAsync(session, local, ws, SyncStrategy.Branch);

        Assert.Equal(40, first.CommitsTransferred);
        Assert.Equal(1, second.CommitsTransferred);
        Assert.Equal(tip, await local.GitAsync("rev-parse", "refs/heads/paude/" + session.Value));
        Assert.True(second.BytesMoved < first.BytesMoved / 4, $"incremental {second.BytesMoved} B vs first {first.BytesMoved} B");
        Assert.True(second.BytesMoved < 2048, $"one commit of one changed file took {second.BytesMoved} B");
        Assert.Equal(0, third.CommitsTransferred);
        Assert.Equal(packs, PackFiles(local));
        Assert.True(third.BytesMoved < 1024, $"an unchanged session took {third.BytesMoved} B");
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }

    [Theory]
    [MemberData(nameof(HostileAnswers))]
    public async Task A_hostile_upload_pack_is_refused_with_a_typed_error_and_the_local_repository_is_unchanged(string kind)
    {
        var session = await Fixture.SessionAsync("fetch-evil");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("local.txt", "local\n", "L");
        var answer = await HostileAnswerAsync(kind);
        await Fixture.ExecAsRootAsync(session, new MemoryStream(answer), "sh", "-c", "cat > /tmp/upload-pack-answer");
        // It answers whatever it is asked; the truncated one then exits (else it would wait for a request, and the
        // client for the rest of a packet, forever: a hung session is ended by cancellation, not by this test).
        var script = "#!/bin/sh\ncat /tmp/upload-pack-answer\n" + (kind == "truncated" ? string.Empty : "exec cat >/dev/null\n");
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.ASCII.GetBytes(script)), "sh", "-c", "cat > /usr/local/bin/git-upload-pack && chmod 755 /usr/local/bin/git-upload-pack");
        var state = await local.StateAsync();
        var refs = await local.GitAsync("for-each-ref");
        var objects = TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects"));

        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => PullAsync(session, local, ws, SyncStrategy.Branch));

        Assert.Contains(ExpectedMessage(kind), ex.Message, StringComparison.Ordinal);
        Assert.Equal(state, await local.StateAsync());
        Assert.Equal(refs, await local.GitAsync("for-each-ref"));
        Assert.Equal(objects, TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects")));
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }

    [Fact]
    public async Task A_pack_over_the_size_limit_is_refused_and_nothing_is_written()
    {
        var session = await Fixture.SessionAsync("fetch");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.GitAsync(session, ws, "init", "-q", "-b", "main");
        for (var i = 0; i < 5; i++)
        {
            await Fixture.CommitAsync(session, ws, $"f{i}.txt", Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(500)), $"c{i}");
        }

        using var local = await LocalRepo.CreateAsync();
        var objects = TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects"));
        using var repo = new Repository(local.Path);

        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => SessionFetch.FetchHeadAsync(repo, Fixture.Backend, session, ws, [], maxPackBytes: 300, TimeSpan.FromSeconds(60), TimeProvider.System, CancellationToken.None));

        Assert.Contains("exceeds the limit of 300 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(objects, TreeSnapshot.Describe(Path.Combine(local.Path, ".git", "objects")));
    }

    [Fact]
    public async Task A_session_git_without_protocol_v2_is_fetched_over_the_libgit2_transport()
    {
        var session = await Fixture.SessionAsync("fetch-v0");
        var ws = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.GitAsync(session, ws, "init", "-q", "-b", "main");
        await Fixture.CommitAsync(session, ws, "a.txt", "a\n", "A");
        var b = await Fixture.CommitAsync(session, ws, "b.txt", "b\n", "B");

        // An upload-pack that ignores GIT_PROTOCOL, as git before 2.18 does: it answers with the v0 advertisement.
        await Fixture.ExecAsRootAsync(session, new MemoryStream("#!/bin/sh\nunset GIT_PROTOCOL\nexec /usr/bin/git-upload-pack \"$@\"\n"u8.ToArray()), "sh", "-c", "cat > /usr/local/bin/git-upload-pack && chmod 755 /usr/local/bin/git-upload-pack");
        using var local = await LocalRepo.CreateAsync();

        var pulled = await PullAsync(session, local, ws, SyncStrategy.Branch);

        Assert.Equal(2, pulled.CommitsTransferred);
        Assert.Equal(b, await local.GitAsync("rev-parse", "refs/heads/paude/" + session.Value));
        Assert.Equal(string.Empty, await local.GitAsync("for-each-ref", "refs/paude/"));
        await local.GitAsync("fsck", "--no-progress", "--strict");
    }

    [Fact]
    public async Task A_session_path_without_a_repository_and_an_empty_repository_are_told_apart()
    {
        var session = await Fixture.SessionAsync("fetch");
        var missing = NewSessionWorkspace();
        var empty = NewSessionWorkspace();
        await Fixture.ExecAsync(session, "mkdir", "-p", missing, empty);
        await Fixture.GitAsync(session, empty, "init", "-q", "-b", "main");
        using var local = await LocalRepo.CreateAsync();

        await Assert.ThrowsAsync<NotAGitRepositoryException>(() => PullAsync(session, local, missing, SyncStrategy.Branch));
        var result = await PullAsync(session, local, empty, SyncStrategy.Branch);

        Assert.Equal(0, result.CommitsTransferred);
        Assert.Contains(result.Warnings, w => w.Contains("no commits yet", StringComparison.Ordinal));
    }

    private static string ExpectedMessage(string kind) => kind switch
    {
        "garbage-pack" => "the pack from the session is invalid",
        "incomplete-pack" => "The pack from the session is incomplete",
        "bad-ref-listing" => "unexpected ref listing line",
        "error-band" => "The session's git failed: fatal: planted failure",
        "err-line" => "The session's git refused: access denied",
        _ => "closed the git connection early",
    };

    /// <summary>Everything a planted upload-pack writes, whatever it is asked (the client's requests are fixed).</summary>
    private static async Task<byte[]> HostileAnswerAsync(string kind)
    {
        var (head, pack) = kind switch
        {
            "incomplete-pack" => await IncompletePackAsync(),
            "garbage-pack" => (new string('a', 40), "PACK\0\0\0\u0002\0\0\0\u0001this is not zlib data at all"u8.ToArray().Concat(new byte[20]).ToArray()),
            _ => (new string('b', 40), Array.Empty<byte>()),
        };
        var answer = new MemoryStream();
        foreach (var line in new[] { "version 2\n", "agent=git/2.39.5\n", "ls-refs=unborn\n", "fetch=shallow\n", "object-format=sha1\n" })
        {
            Pkt(answer, Encoding.ASCII.GetBytes(line));
        }

        answer.Write("0000"u8);
        Pkt(answer, Encoding.ASCII.GetBytes(kind == "bad-ref-listing" ? "../../etc/passwd HEAD\n" : $"{head} HEAD symref-target:refs/heads/main\n"));
        answer.Write("0000"u8);
        switch (kind)
        {
            case "err-line":
                Pkt(answer, "ERR access denied\n"u8.ToArray());
                return answer.ToArray();
            case "truncated":
                Pkt(answer, "packfile\n"u8.ToArray());
                answer.Write("00ff\u0001PACK"u8);
                return answer.ToArray();
        }

        Pkt(answer, "packfile\n"u8.ToArray());
        if (kind == "error-band")
        {
            Pkt(answer, [3, .. "fatal: planted failure\n"u8]);
        }

        Pkt(answer, [1, .. pack]);
        answer.Write("0000"u8);
        return answer.ToArray();
    }

    /// <summary>A real pack of the second commit of a history without the first: its parent and files are missing.</summary>
    private static async Task<(string Head, byte[] Pack)> IncompletePackAsync()
    {
        using var scratch = await LocalRepo.CreateAsync();
        await scratch.CommitAsync("a.txt", "first\n", "first");
        var second = await scratch.CommitAsync("b.txt", "second\n", "second");
        var result = await ProcessRunner.RunAsync("sh", ["-c", "printf '%s\\n^%s\\n' \"$2\" \"$2~1\" | git -C \"$1\" pack-objects --revs --stdout -q | base64 -w0", "sh", scratch.Path, second]);
        return (second, Convert.FromBase64String(result.EnsureSuccess("pack-objects").StandardOutput.Trim()));
    }

    private static void Pkt(MemoryStream stream, byte[] payload)
    {
        stream.Write(Encoding.ASCII.GetBytes((payload.Length + 4).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)));
        stream.Write(payload);
    }

    private static string[] PackFiles(LocalRepo local) =>
        [.. Directory.GetFiles(Path.Combine(local.Path, ".git", "objects", "pack")).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
