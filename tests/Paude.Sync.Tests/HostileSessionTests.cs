using System.Formats.Tar;
using System.Text;
using Paude.Errors;
using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// Content from a session is untrusted: a container whose programs lie (a planted <c>tar</c> or <c>sha256sum</c>)
/// cannot make the sync write outside the workspace, replace files with links, or half-apply anything.
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class HostileSessionTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    public static TheoryData<string> Archives => ["dotdot", "absolute", "symlink-out", "symlink-in-place", "unrequested"];

    [Theory]
    [MemberData(nameof(Archives))]
    public async Task A_hostile_archive_is_refused_and_nothing_is_written_anywhere(string kind)
    {
        var session = await Fixture.SessionAsync("evil");
        var ws = NewSessionWorkspace();
        using var parent = new TempDir();
        var localPath = Path.Combine(parent.Path, "workspace");
        Directory.CreateDirectory(localPath);
        File.WriteAllText(Path.Combine(localPath, "f.txt"), "local\n");
        await Fixture.ExecAsync(session, "mkdir", "-p", ws);
        await Fixture.WriteAsync(session, ws, "f.txt", "from session\n");
        await Fixture.WriteAsync(session, ws, "g.txt", "from session\n");

        // Plant a "tar" that answers every request with the hostile archive.
        await Fixture.ExecAsRootAsync(session, new MemoryStream(HostileArchive(kind)), "sh", "-c", "cat > /tmp/evil.tar");
        await Fixture.ExecAsRootAsync(session, new MemoryStream("#!/bin/sh\nexec cat /tmp/evil.tar\n"u8.ToArray()), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
        var before = TreeSnapshot.Describe(parent.Path);

        var ex = await Assert.ThrowsAnyAsync<PaudeException>(() => Fixture.Sync.SyncAsync(session, localPath, new SyncOptions
        {
            Direction = SyncDirection.FromSession,
            Strategy = SyncStrategy.Overwrite,
            Force = true,
            SessionWorkspace = ws,
        }));

        Assert.IsType<UnsafeContentException>(ex);
        Assert.Equal(before, TreeSnapshot.Describe(parent.Path));
        Assert.False(File.Exists("/tmp/paude-sync-abs-evil"));
    }

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

    private static byte[] HostileArchive(string kind)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            TarEntry entry = kind switch
            {
                "dotdot" => File("../x"),
                "absolute" => File("/tmp/paude-sync-abs-evil"),
                "symlink-out" => new PaxTarEntry(TarEntryType.SymbolicLink, "f.txt") { LinkName = "/etc/passwd" },
                "symlink-in-place" => new PaxTarEntry(TarEntryType.SymbolicLink, "f.txt") { LinkName = "g.txt" },
                _ => File("unrequested.txt"),
            };
            writer.WriteEntry(entry);
            if (kind is "symlink-in-place" or "unrequested")
            {
                writer.WriteEntry(File("g.txt"));
            }
        }

        return output.ToArray();

        static PaxTarEntry File(string name) => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream("owned\n"u8.ToArray()) };
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("paude-sync-hostile-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
