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

    private static string Hash(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
