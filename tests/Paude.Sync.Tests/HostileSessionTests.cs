using System.Text;
using Paude.Errors;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Content from a session is untrusted: a container whose programs lie (here a planted <c>sha256sum</c>) cannot make
/// the sync write outside the workspace or follow links. The planted-<c>tar</c> scenarios are shared by every backend
/// (<see cref="Paude.Conformance.Sync.SyncConformanceTests"/>).
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class HostileSessionTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task A_lying_file_listing_with_a_path_outside_the_workspace_is_refused()
    {
        var session = await Fixture.SessionAsync("evil-listing");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("f.txt", "local\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.WriteAsync(session, ws, "f.txt", "x\n");
        var fake = "#!/bin/sh\nprintf '%s  ../escape\\0' 0000000000000000000000000000000000000000000000000000000000000000\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.UTF8.GetBytes(fake)), "sh", "-c", "cat > /usr/local/bin/sha256sum && chmod 755 /usr/local/bin/sha256sum");
        var before = TreeSnapshot.Describe(local.Path);

        var ex = await Assert.ThrowsAsync<UnsafeContentException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge));

        Assert.Equal("../escape", ex.Entry);
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));
        Assert.False(File.Exists(Path.Combine(local.Path, "..", "escape")));
    }

    [Fact]
    public async Task Symlinks_in_the_session_are_not_followed_or_copied()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        await Fixture.ExecAsync(session, "mkdir", "-p", ws + "/sub");
        await Fixture.ExecAsync(session, "ln", "-s", "/etc", ws + "/etc-link");
        await Fixture.ExecAsync(session, "ln", "-s", "/etc/passwd", ws + "/sub/passwd");
        await Fixture.WriteAsync(session, ws, "ok.txt", "fine\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);

        Assert.Equal(["ok.txt"], result.FilesChanged);
        Assert.Equal(["F ok.txt 644 " + Hash("fine\n")], TreeSnapshot.Describe(local.Path));
    }

    [Fact]
    public async Task A_session_flooding_stderr_during_a_pull_gets_a_bounded_typed_error()
    {
        var session = await Fixture.SessionAsync("evil-stderr");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.WriteAsync(session, ws, "f.txt", "x\n");
        // A valid (empty) archive on stdout, then 64 MB on stderr and a failure: the error must stay small.
        var flood = "#!/bin/sh\nhead -c 10240 /dev/zero\nhead -c 64000000 /dev/zero | tr '\\0' E >&2\nexit 3\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.UTF8.GetBytes(flood)), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
        var before = TreeSnapshot.Describe(local.Path);

        var ex = await Assert.ThrowsAsync<SyncTransportException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge));

        Assert.Contains("exit 3", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 20_000, $"the error carries {ex.Message.Length} characters of session output");
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));
    }

    [Fact]
    public async Task A_lying_listing_naming_a_file_in_a_nested_git_folder_is_refused()
    {
        var session = await Fixture.SessionAsync("evil-gitpath");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("sub/.git/HEAD", "ref: refs/heads/main\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws + "/sub/.git/hooks");
        await Fixture.WriteAsync(session, ws, "sub/.git/hooks/post-checkout", "#!/bin/sh\necho owned\n");
        await Fixture.WriteAsync(session, ws, "ok.txt", "an ordinary file, so the listing runs sha256sum\n");
        var fake = "#!/bin/sh\n/usr/bin/sha256sum \"$@\"\nprintf '%s  sub/.git/hooks/post-checkout\\0' $(/usr/bin/sha256sum < \"$PWD/sub/.git/hooks/post-checkout\" | cut -c1-64)\n";
        await Fixture.ExecAsRootAsync(session, new MemoryStream(Encoding.UTF8.GetBytes(fake)), "sh", "-c", "cat > /usr/local/bin/sha256sum && chmod 755 /usr/local/bin/sha256sum");

        var ex = await Assert.ThrowsAsync<UnsafeContentException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude));

        Assert.Equal("sub/.git/hooks/post-checkout", ex.Entry);
        Assert.False(local.Exists("sub/.git/hooks/post-checkout"));
    }

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
