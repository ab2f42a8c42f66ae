using System.Formats.Tar;
using System.Text;
using Paude.Backends.Podman.Backend;
using Paude.Egress;
using Paude.Errors;

namespace Paude.Tests.Backend;

/// <summary>
/// The allow-list read back from the proxy config volume (<c>podman volume export</c>): the archive is read through the
/// safe extractor, so the framing attacks the extractor refuses are refused here too, without allocating what they claim.
/// </summary>
public sealed class EgressFilesTests
{
    [Fact]
    public async Task The_policy_written_into_the_volume_reads_back_equal()
    {
        var policy = EgressPolicy.Parse(["default", "db.internal", "~^api\\.example\\.org$"]);
        using var archive = new MemoryStream(EgressFiles.Archive(policy), writable: false);

        var read = await EgressFiles.ReadPolicyAsync(archive, CancellationToken.None);

        Assert.Equal(policy, read);
    }

    [Fact]
    public async Task A_volume_without_a_policy_file_reads_as_none()
    {
        Assert.Null(await EgressFiles.ReadPolicyAsync(new MemoryStream(), CancellationToken.None));
        Assert.Null(await EgressFiles.ReadPolicyAsync(new MemoryStream(Tar(("squid.conf", "http_port 3128\n"))), CancellationToken.None));
    }

    [Fact]
    public async Task An_extended_header_claiming_a_gib_is_refused_without_allocating_it()
    {
        var input = await File.ReadAllBytesAsync(Path.Combine(RepositoryRoot.Path, "tests", "Paude.Fuzz", "Regressions", "tar", "extended-header-claims-1gib"));
        var before = GC.GetTotalAllocatedBytes(precise: true);

        await Assert.ThrowsAsync<UnsafeContentException>(() => EgressFiles.ReadPolicyAsync(new MemoryStream(input, writable: false), CancellationToken.None));

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated < 64L * 1024 * 1024, $"refusing a {input.Length}-byte archive allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_policy_over_the_cap_is_refused()
    {
        var huge = string.Join('\n', Enumerable.Range(0, 60_000).Select(i => $"host{i}.example.org"));
        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => EgressFiles.ReadPolicyAsync(new MemoryStream(Tar((EgressFiles.PolicyFile, huge))), CancellationToken.None));
        Assert.Contains(EgressFiles.PolicyFile, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_policy_that_is_a_link_is_not_followed()
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "other") { DataStream = new MemoryStream("evil.example.org\n"u8.ToArray()) });
            writer.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, EgressFiles.PolicyFile) { LinkName = "other" });
        }

        stream.Position = 0;
        Assert.Null(await EgressFiles.ReadPolicyAsync(stream, CancellationToken.None));
    }

    private static byte[] Tar(params (string Name, string Content)[] files)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        return stream.ToArray();
    }
}
