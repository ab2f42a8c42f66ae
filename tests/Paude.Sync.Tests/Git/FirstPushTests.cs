using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>The first push into an empty session workspace: one tar stream of the working files and the branch's objects.</summary>
[Collection(SyncGroupB.Name)]
public sealed class FirstPushTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task The_session_gets_the_commits_a_valid_repository_and_the_working_tree_with_its_uncommitted_state()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        local.Write("src/a.txt", "a\n");
        local.Write("gone.txt", "committed, then deleted locally\n");
        local.Write("run.sh", "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(Path.Combine(local.Path, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(local.Path, "link"), "src/a.txt");
        await local.CommitAsync("README.md", "r\n", "X");
        var head = await local.CommitAsync("src/b.txt", "b\n", "Y");
        local.Write("src/a.txt", "edited\n");
        local.Write("notes.txt", "untracked\n");
        File.Delete(Path.Combine(local.Path, "gone.txt"));

        var result = await PushAsync(session, local, ws);

        Assert.Equal(2, result.CommitsTransferred);
        Assert.Equal(["notes.txt", "src/a.txt"], result.FilesChanged);
        Assert.Contains(result.Warnings, w => w.Contains("gone.txt", StringComparison.Ordinal));
        Assert.True(result.BytesMoved > 0);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("main", (await Fixture.GitAsync(session, ws, "symbolic-ref", "--short", "HEAD")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal(" M src/a.txt\n?? notes.txt", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).TrimEnd());
        Assert.Equal("committed, then deleted locally\n", await Fixture.ExecAsync(session, "cat", ws + "/gone.txt"));
        Assert.Equal("src/a.txt", (await Fixture.ExecAsync(session, "readlink", ws + "/link")).Trim());
        Assert.Equal("755", (await Fixture.ExecAsync(session, "stat", "-c", "%a", ws + "/run.sh")).Trim());

        // The manifest now knows what the session holds: the next push is incremental.
        local.Write("src/b.txt", "b2\n");
        var next = await PushAsync(session, local, ws);
        Assert.Equal(["src/b.txt"], next.FilesChanged);
        Assert.Equal(["gone.txt"], next.FilesDeleted);
    }

    [Fact]
    public async Task A_first_push_sends_only_the_branch_objects_never_other_branches_stashes_other_sessions_or_amended_away_work()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "shared\n", "X");
        await local.GitAsync("checkout", "-q", "-b", "private");
        await local.CommitAsync("secret.txt", "private branch secret\n", "P");
        await local.GitAsync("checkout", "-q", "main");
        await local.CommitAsync("draft.txt", "amended away\n", "to be amended");
        var amendedAway = await local.GitAsync("rev-parse", "HEAD:draft.txt");
        await local.GitAsync("rm", "-q", "draft.txt");
        await local.GitAsync("commit", "-q", "--amend", "--allow-empty", "-m", "Y");
        await local.CommitAsync("other.txt", "other session's work\n", "O");
        await local.GitAsync("update-ref", "refs/remotes/origin/paude/other-session", "HEAD");
        await local.GitAsync("update-ref", "refs/heads/paude/other-session", "HEAD");
        var otherSession = await local.GitAsync("rev-parse", "HEAD:other.txt");
        await local.GitAsync("reset", "-q", "--hard", "HEAD~1");
        local.Write("a.txt", "stashed edit\n");
        await local.GitAsync("stash", "-q");
        var stashed = await local.GitAsync("rev-parse", "stash@{0}:a.txt");
        var secret = await local.GitAsync("rev-parse", "private:secret.txt");
        await local.GitAsync("config", "remote.origin.url", "https://user:token@example.invalid/repo.git");
        await local.GitAsync("repack", "-a", "-d", "-q");
        await local.GitAsync("prune-packed");

        var head = await local.GitAsync("rev-parse", "HEAD");
        await PushAsync(session, local, ws);

        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        foreach (var (what, id) in new[] { ("private branch", secret), ("stash", stashed), ("other session", otherSession), ("amended away", amendedAway) })
        {
            var found = await Podman.RunAsync(["exec", SyncFixture.Container(session), "git", "-C", ws, "cat-file", "-e", id]);
            Assert.True(found.ExitCode != 0, $"the {what} object {id} reached the session");
        }

        var config = await Fixture.ExecAsync(session, "cat", ws + "/.git/config");
        Assert.DoesNotContain("remote", config, StringComparison.Ordinal);
        Assert.DoesNotContain("token", config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_packed_repository_is_pushed_in_the_one_exec_push_without_its_packs_and_a_non_empty_workspace_is_never_overwritten()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "X");
        await local.CommitAsync("a.txt", "a2\n", "Y");
        await local.GitAsync("gc", "-q");
        var head = await local.CommitAsync("b.txt", "loose\n", "Z: loose objects on top of the pack");
        var packs = Directory.GetFiles(Path.Combine(local.Path, ".git", "objects", "pack"), "*.pack").Select(Path.GetFileName).ToList();
        Assert.Single(packs);

        // An interrupted first push left a staging folder: it does not make the workspace "not empty".
        await Fixture.WriteAsync(session, ws, ".paude-staging-interrupted/a.txt", "half");
        var packed = await PushAsync(session, local, ws);

        Assert.Equal(3, packed.CommitsTransferred);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("a2\n", await Fixture.ExecAsync(session, "cat", ws + "/a.txt"));
        Assert.Equal(string.Empty, (await Fixture.GitAsync(session, ws, "status", "--porcelain")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");

        // The pack itself never travels (it may hold what the session must not see): the branch's objects arrive in a
        // new pack of their own, and no staging folder is left.
        Assert.DoesNotContain(packs[0]!, (await Fixture.ExecAsync(session, "ls", ws + "/.git/objects/pack")).Split('\n'));
        Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "find", ws, "-name", ".paude-staging-*")).Trim());

        var other = NewSessionWorkspace();
        await Fixture.WriteAsync(session, other, "a.txt", "the session's own file\n");
        using var second = await LocalRepo.CreateAsync();
        await second.CommitAsync("a.txt", "local\n", "L");
        await Assert.ThrowsAnyAsync<SyncException>(() => PushAsync(session, second, other));
        Assert.Equal("the session's own file\n", await Fixture.ExecAsync(session, "cat", other + "/a.txt"));
    }

    [Fact]
    public async Task A_pack_without_its_index_or_a_corrupt_pack_in_the_local_repository_never_travels()
    {
        var session = await Fixture.SessionAsync("s3");
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("a.txt", "a\n", "X");
        await local.GitAsync("gc", "-q");
        var head = await local.CommitAsync("b.txt", "b\n", "Y");

        // A second pack whose .idx is not there (as while a repack writes it): git ignores it locally (every object is
        // also elsewhere); the first push reads objects through the object database and never ships packs.
        var objects = await local.GitAsync("rev-list", "--objects", "HEAD");
        var packed = await ProcessRunner.RunAsync("git", ["-C", local.Path, "pack-objects", "-q", ".git/objects/pack/extra"], new MemoryStream(System.Text.Encoding.UTF8.GetBytes(objects + "\n")));
        var extra = $"extra-{packed.EnsureSuccess("git pack-objects").StandardOutput.Trim()}";
        File.Delete(Path.Combine(local.Path, ".git", "objects", "pack", extra + ".idx"));
        var pack = Path.Combine(local.Path, ".git", "objects", "pack", extra + ".pack");
        var bytes = await File.ReadAllBytesAsync(pack);
        await File.WriteAllBytesAsync(pack, bytes[..(bytes.Length / 2)]);
        await local.GitAsync("fsck", "--strict");

        var ws = NewSessionWorkspace();
        var pushed = await PushAsync(session, local, ws);

        Assert.Equal(2, pushed.CommitsTransferred);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.DoesNotContain(extra, await Fixture.ExecAsync(session, "ls", ws + "/.git/objects/pack"), StringComparison.Ordinal);
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
    }

    [Fact]
    public async Task A_local_file_that_vanishes_during_the_first_push_fails_typed_places_nothing_and_does_not_hang()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var big = new byte[64 * 1024 * 1024];
        new Random(9).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "big.bin"), big);
        await local.CommitAsync("a.txt", "a\n", "X");
        local.Write("zz-last.txt", "sent after the big object\n"); // untracked: the archive's last entry

        // As a background `git gc` pruning a loose object, or the user deleting a file, would: the file goes while the
        // archive streams. The session's tar is paused first (SIGSTOP), so the host cannot be past the big entries yet.
        // The push used to take the local error for "the session stopped reading" and then waited for ever.
        var deleter = await DeleteMidStreamAsync(session, "tar -x --no-same-owner -f - -C [.]/[.]paude-staging-[A-Za-z0-9-]+", Path.Combine(local.Path, "zz-last.txt"));
        var failed = await Assert.ThrowsAsync<SyncTransportException>(() => PushAsync(session, local, ws).WaitAsync(TimeSpan.FromMinutes(2)));

        await deleter;
        Assert.Contains("changed or vanished", failed.Message, StringComparison.Ordinal);
        Assert.IsType<FileNotFoundException>(failed.InnerException);

        // The session program was ended before it placed anything: at most its staging folder is left (the next push
        // removes it), and the next push completes.
        Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "find", ws, "-mindepth", "1", "-maxdepth", "1", "!", "-name", ".paude-staging-*")).Trim());
        var next = await PushAsync(session, local, ws);
        Assert.Equal(1, next.CommitsTransferred);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big)), (await Fixture.ExecAsync(session, "sha256sum", ws + "/big.bin"))[..64]);
        Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "find", ws, "-name", ".paude-staging-*")).Trim());
    }

    [Fact]
    public async Task A_first_push_cut_in_the_session_places_nothing_and_the_next_one_completes()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var big = new byte[64 * 1024 * 1024];
        new Random(5).NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(local.Path, "big.bin"), big);
        var head = await local.CommitAsync("a.txt", "a\n", "X");

        // The channel drops mid-stream: the session's tar is killed while the archive arrives.
        var killer = Podman.RunAsync(["exec", SyncFixture.Container(session), "bash", "-c",
            "for i in $(seq 1 3000); do p=$(pgrep -f -x 'tar -x --no-same-owner -f - -C [.]/[.]paude-staging-[A-Za-z0-9-]+'); [ -n \"$p\" ] && [ -n \"$(find \"$1\" -size +8M)\" ] && exec kill -9 $p; sleep 0.01; done; exit 1", "bash", ws]);
        var cut = await Assert.ThrowsAnyAsync<SyncException>(() => PushAsync(session, local, ws));
        Assert.Equal(0, (await killer).ExitCode);
        Assert.Contains("exit 6", cut.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await Fixture.ExecAsync(session, "ls", "-A", ws)).Trim());

        var pushed = await PushAsync(session, local, ws);
        Assert.Equal(1, pushed.CommitsTransferred);
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(big)), (await Fixture.ExecAsync(session, "sha256sum", ws + "/big.bin"))[..64]);
    }

    [Fact]
    public async Task The_session_index_and_branch_are_what_git_itself_builds_for_every_kind_of_entry()
    {
        var session = await Fixture.SessionAsync("s3");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        var first = await local.CommitAsync("README.md", "r\n", "X");

        // Names whose order differs between UTF-16 and UTF-8 bytes or between trees and paths, a long path (a GNU
        // long-name entry), an executable, a symbolic link and a submodule (gitlink: in the index, not a file).
        foreach (var path in new[] { "a-b", "a/b", "a.b", "a0", "a/b-c/d", "\u00c4/\u00fc.txt", "\uff5e", "\ud83d\ude00", "deep/" + new string('n', 150) + "/" + new string('m', 200) })
        {
            local.Write(path, path + "\n");
        }

        local.Write("run.sh", "#!/bin/sh\n");
        File.SetUnixFileMode(Path.Combine(local.Path, "run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(local.Path, "link"), "a/b");
        await local.GitAsync("add", "-A");
        await local.GitAsync("update-index", "--add", "--cacheinfo", $"160000,{first},vendor/lib");
        await local.GitAsync("checkout", "-q", "-b", "feature/deep");
        await local.GitAsync("commit", "-q", "-m", "Y");
        var head = await local.GitAsync("rev-parse", "HEAD");

        await PushAsync(session, local, ws);

        // git's own index of the commit, built in the session beside the pushed one, must list the same entries with the
        // same (empty) stat data, and git must read the pushed one as a valid, clean repository on the pushed branch.
        var compare = await Fixture.ExecAsync(session, "bash", "-c", """
            set -e; cd -- "$1"
            pushed=$(git ls-files -s --debug)
            idx=$(mktemp); rm -f -- "$idx"
            GIT_INDEX_FILE=$idx git read-tree HEAD
            built=$(GIT_INDEX_FILE=$idx git ls-files -s --debug)
            rm -f -- "$idx"
            diff <(echo "$built") <(echo "$pushed") && git ls-files -s | wc -l
            """, "bash", ws);
        Assert.Equal("13", compare.Trim());
        Assert.Equal("refs/heads/feature/deep", (await Fixture.GitAsync(session, ws, "symbolic-ref", "HEAD")).Trim());
        Assert.Equal(head, (await Fixture.GitAsync(session, ws, "rev-parse", "refs/heads/feature/deep")).Trim());
        await Fixture.GitAsync(session, ws, "fsck", "--strict", "--no-dangling");
        Assert.Equal(string.Empty, (await Fixture.GitAsync(session, ws, "diff-index", "--cached", "HEAD")).Trim());

        // The same status as the workspace: everything clean but the submodule, which has no folder on either side.
        Assert.Equal("D vendor/lib", await local.GitAsync("status", "--porcelain"));
        Assert.Equal(" D vendor/lib", (await Fixture.GitAsync(session, ws, "status", "--porcelain")).TrimEnd());
    }
}
