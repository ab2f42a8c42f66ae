using System.Formats.Tar;
using Paude.Errors;
using Paude.Sync;

namespace Paude.Conformance.Sync;

/// <summary>
/// Content from a session is untrusted: a session whose <c>tar</c> lies (planted by an attacker who got root in it)
/// cannot make the sync write outside the workspace, replace files with links, or half-apply anything.
/// </summary>
public abstract partial class SyncConformanceTests
{
    /// <summary>The hostile archives a lying <c>tar</c> answers with.</summary>
    public static TheoryData<string> HostileArchives => ["dotdot", "absolute", "symlink-out", "symlink-in-place", "unrequested"];

    [Theory]
    [MemberData(nameof(HostileArchives))]
    public async Task A_hostile_archive_is_refused_and_nothing_is_written_anywhere(string kind)
    {
        var session = await Sessions.SessionAsync("evil");
        var ws = SyncSessions.NewWorkspace();
        var parent = Directory.CreateTempSubdirectory("paude-sync-hostile-").FullName;
        try
        {
            var localPath = Path.Combine(parent, "workspace");
            Directory.CreateDirectory(localPath);
            await File.WriteAllTextAsync(Path.Combine(localPath, "f.txt"), "local\n");
            await Sessions.ExecAsync(session, "mkdir", "-p", ws);
            await Sessions.WriteAsync(session, ws, "f.txt", "from session\n");
            await Sessions.WriteAsync(session, ws, "g.txt", "from session\n");

            // Plant a "tar" that answers every request with the hostile archive (removed again below: sessions are shared).
            await Sessions.ExecAsRootAsync(session, new MemoryStream(HostileArchive(kind)), "sh", "-c", "cat > /tmp/evil.tar");
            await Sessions.ExecAsRootAsync(session, new MemoryStream("#!/bin/sh\nexec cat /tmp/evil.tar\n"u8.ToArray()), "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
            var before = TreeSnapshot.Describe(parent);

            var ex = await Assert.ThrowsAnyAsync<PaudeException>(() => Sessions.Sync.SyncAsync(session, localPath, new SyncOptions
            {
                Direction = SyncDirection.FromSession,
                Strategy = SyncStrategy.Overwrite,
                Force = true,
                SessionWorkspace = ws,
            }));

            Assert.IsType<UnsafeContentException>(ex);
            Assert.Equal(before, TreeSnapshot.Describe(parent));
            Assert.False(File.Exists("/tmp/paude-sync-abs-evil"));
        }
        finally
        {
            await Sessions.ExecAsRootAsync(session, null, "rm", "-f", "/usr/local/bin/tar", "/tmp/evil.tar");
            Directory.Delete(parent, recursive: true);
        }
    }

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
}
