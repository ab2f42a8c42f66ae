using System.Formats.Tar;
using System.Text;
using Paude.Errors;
using Paude.Execution;

namespace Paude.Tests.Tar;

/// <summary>Hostile archives, built both with TarWriter and with real GNU tar, must be refused with nothing written.</summary>
public sealed class SafeTarExtractorTests : IDisposable
{
    private readonly TempTree _tmp = new();

    public SafeTarExtractorTests()
    {
        // An existing target with known content: a refused archive must leave it exactly as it was.
        _tmp.File("target/keep.txt", "original");
        _tmp.Dir("outside");
    }

    public void Dispose() => _tmp.Dispose();

    private string Target => _tmp.Path("target");

    [Fact]
    public async Task Dot_dot_segment_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(File("../x", "escape")));
        await AssertRefusedAsync(archive, "../x", "'..'");
    }

    [Fact]
    public async Task Dot_dot_in_the_middle_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(File("a/../../outside/x", "escape")));
        await AssertRefusedAsync(archive, "a/../../outside/x", "'..'");
    }

    [Fact]
    public async Task Absolute_path_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(File("/etc/x", "escape")));
        await AssertRefusedAsync(archive, "/etc/x", "absolute");
    }

    [Fact]
    public async Task Absolute_path_from_gnu_tar_is_refused()
    {
        var abs = _tmp.File("outside/abs.txt", "escape");
        using var archive = await ProcessRunner.RunBinaryAsync("tar", ["-cPf", "-", abs]);
        await AssertRefusedAsync(archive, abs, "absolute");
    }

    [Fact]
    public async Task Symlink_to_etc_then_a_file_through_it_is_refused()
    {
        using var archive = Build(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "evil") { LinkName = "/etc" });
            w.WriteEntry(File("evil/paude-test-x", "escape"));
        });
        await AssertRefusedAsync(archive, "evil", "absolute");
        Assert.False(System.IO.File.Exists("/etc/paude-test-x"));
    }

    [Fact]
    public async Task Gnu_tar_symlink_out_then_a_file_through_it_is_refused()
    {
        // Two real trees: one with the link, one with a real folder of the same name; appended into one archive.
        _tmp.Dir("a");
        System.IO.File.CreateSymbolicLink(_tmp.Path("a/evil"), "../../outside");
        _tmp.File("b/evil/x", "escape");
        var tarFile = _tmp.Path("evil.tar");
        (await ProcessRunner.RunAsync("tar", ["-cf", tarFile, "-C", _tmp.Path("a"), "evil"])).EnsureSuccess("tar -c");
        (await ProcessRunner.RunAsync("tar", ["-rf", tarFile, "-C", _tmp.Path("b"), "evil/x"])).EnsureSuccess("tar -r");

        await using var archive = System.IO.File.OpenRead(tarFile);
        await AssertRefusedAsync(archive, "evil", "outside");
        Assert.False(System.IO.File.Exists(_tmp.Path("outside/x")));
    }

    [Fact]
    public async Task File_through_an_earlier_symlinked_directory_is_refused_even_when_the_link_stays_inside()
    {
        using var archive = Build(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/up") { LinkName = ".." });
            w.WriteEntry(File("sub/up/x", "through a link"));
        });
        await AssertRefusedAsync(archive, "sub/up/x", "through a symlink");
    }

    [Fact]
    public async Task Symlink_chain_that_escapes_only_when_resolved_is_refused()
    {
        // Lexically "x -> sub/a/.." stays inside, but sub/a is itself a link to the root, so x resolves to its parent.
        using var archive = Build(w =>
        {
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "x") { LinkName = "sub/a/.." });
            w.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "sub/"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "sub/a") { LinkName = ".." });
        });
        await AssertRefusedAsync(archive, "x", "outside");
    }

    [Fact]
    public async Task Relative_symlink_escaping_the_root_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "a/b") { LinkName = "../../outside" }));
        await AssertRefusedAsync(archive, "a/b", "outside");
    }

    [Fact]
    public async Task Hardlink_out_of_the_root_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "passwd") { LinkName = "/etc/passwd" }));
        await AssertRefusedAsync(archive, "passwd", "hardlink");
    }

    [Fact]
    public async Task Gnu_tar_hardlink_to_an_absolute_path_is_refused()
    {
        var a = _tmp.File("outside/a.txt", "shared");
        var b = _tmp.Path("outside/b.txt");
        (await ProcessRunner.RunAsync("ln", [a, b])).EnsureSuccess("ln");
        using var archive = await ProcessRunner.RunBinaryAsync("tar", ["-cPf", "-", a, b]);
        await AssertRefusedAsync(archive, a, "absolute");
    }

    [Fact]
    public async Task Hardlink_inside_the_archive_is_extracted_as_a_copy()
    {
        using var archive = Build(w =>
        {
            w.WriteEntry(File("a.txt", "shared"));
            w.WriteEntry(new PaxTarEntry(TarEntryType.HardLink, "b.txt") { LinkName = "a.txt" });
        });
        await SafeTarExtractor.ExtractAsync(archive, Target);

        Assert.Equal("shared", await System.IO.File.ReadAllTextAsync(Path.Combine(Target, "b.txt")));
        Assert.False(System.IO.File.Exists(Path.Combine(Target, "keep.txt")));
    }

    [Fact]
    public async Task Character_device_is_refused()
    {
        using var archive = Build(w => w.WriteEntry(new PaxTarEntry(TarEntryType.CharacterDevice, "null") { DeviceMajor = 1, DeviceMinor = 3 }));
        await AssertRefusedAsync(archive, "null", "CharacterDevice");
    }

    [Fact]
    public async Task Gnu_tar_device_and_fifo_are_refused()
    {
        using var device = await ProcessRunner.RunBinaryAsync("tar", ["-C", "/dev", "-cf", "-", "null"]);
        await AssertRefusedAsync(device, "null", "CharacterDevice");

        var fifoDir = _tmp.Dir("fifo");
        (await ProcessRunner.RunAsync("mkfifo", [Path.Combine(fifoDir, "p")])).EnsureSuccess("mkfifo");
        using var fifo = await ProcessRunner.RunBinaryAsync("tar", ["-C", fifoDir, "-cf", "-", "p"]);
        await AssertRefusedAsync(fifo, "p", "Fifo");
    }

    [Fact]
    public async Task Entry_over_the_size_limit_is_refused_before_its_data_is_read()
    {
        var big = _tmp.Dir("big");
        await System.IO.File.WriteAllBytesAsync(Path.Combine(big, "big.bin"), new byte[3 * 1024 * 1024]);
        using var archive = await ProcessRunner.RunBinaryAsync("tar", ["-C", big, "-cf", "-", "big.bin"]);
        await AssertRefusedAsync(archive, "big.bin", "limit", new SafeTarOptions { MaxEntryBytes = 1024 * 1024 });
    }

    [Fact]
    public async Task Header_claiming_eight_gigabytes_is_refused_without_reading_data()
    {
        using var archive = Build(w => w.WriteEntry(File("huge.bin", "tiny")));
        PatchSize(archive.GetBuffer(), "77777777777");
        await AssertRefusedAsync(new ForwardOnlyStream(archive), "huge.bin", "limit", new SafeTarOptions { MaxEntryBytes = 1024 * 1024 * 1024 });
    }

    [Fact]
    public async Task Total_over_the_budget_is_refused()
    {
        using var archive = Build(w =>
        {
            for (var i = 0; i < 3; i++)
            {
                w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"f{i}") { DataStream = new MemoryStream(new byte[1024 * 1024]) });
            }
        });
        await AssertRefusedAsync(archive, "f2", "budget", new SafeTarOptions { MaxTotalBytes = (5 * 1024 * 1024) / 2 });
    }

    [Fact]
    public async Task Too_many_entries_are_refused()
    {
        using var archive = Build(w =>
        {
            for (var i = 0; i < 5; i++)
            {
                w.WriteEntry(File($"f{i}", "x"));
            }
        });
        await AssertRefusedAsync(archive, "f3", "entries", new SafeTarOptions { MaxEntries = 3 });
    }

    [Fact]
    public async Task A_name_longer_than_the_file_system_allows_is_refused_typed()
    {
        // 256 bytes in one segment (NAME_MAX is 255): the file system would answer with an untyped IOException.
        var name = "dir/" + new string('\u00e9', 128) + ".txt";
        using var archive = Build(w => w.WriteEntry(File(name, "x")));
        await AssertRefusedAsync(archive, name, "longer than 255 bytes");
    }

    [Fact]
    public async Task A_huge_hostile_name_keeps_the_error_message_short()
    {
        var name = string.Concat(Enumerable.Repeat("\u001b[2J/", 20_000)) + "x";
        using var archive = Build(w => w.WriteEntry(File(name, "x")));
        archive.Position = 0;

        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => SafeTarExtractor.ExtractAsync(archive, Target));

        Assert.Equal(name, error.Entry);
        Assert.True(error.Message.Length < 1_000, $"{error.Message.Length} characters");
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Fact]
    public async Task Garbage_is_refused_as_an_invalid_archive()
    {
        using var archive = new MemoryStream(Encoding.ASCII.GetBytes(new string('x', 2048)));
        await AssertRefusedAsync(archive, "<archive>", "not a valid tar archive");
    }

    [Fact]
    public async Task Setuid_and_setgid_bits_are_dropped_but_exec_bits_kept()
    {
        using var archive = Build(w => w.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "tool")
        {
            Mode = (UnixFileMode)0xDED, // 6755
            DataStream = new MemoryStream("x"u8.ToArray()),
        }));
        await SafeTarExtractor.ExtractAsync(archive, Target);

        Assert.Equal((UnixFileMode)0x1ED, System.IO.File.GetUnixFileMode(Path.Combine(Target, "tool")));
    }

    [Fact]
    public async Task Valid_archive_replaces_the_target_and_leaves_no_staging_folder()
    {
        using var archive = Build(w => w.WriteEntry(File("new.txt", "new")));
        await SafeTarExtractor.ExtractAsync(archive, Target);

        Assert.Equal(["new.txt"], Directory.GetFileSystemEntries(Target).Select(Path.GetFileName));
        Assert.Equal(["outside", "target"], Directory.GetFileSystemEntries(_tmp.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    private async Task AssertRefusedAsync(Stream archive, string entry, string reason, SafeTarOptions? options = null)
    {
        if (archive.CanSeek)
        {
            archive.Position = 0;
        }
        var ex = await Assert.ThrowsAsync<UnsafeContentException>(() => SafeTarExtractor.ExtractAsync(archive, Target, options));

        Assert.True(entry == ex.Entry, ex.Message);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);

        // Nothing changed: the target keeps its content, nothing leaked outside, no staging folder is left.
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(Target).Select(Path.GetFileName));
        Assert.Equal("original", await System.IO.File.ReadAllTextAsync(Path.Combine(Target, "keep.txt")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_tmp.Root), p => p.Contains(".paude-", StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_tmp.Path("outside")), p => Path.GetFileName(p) is "x");
    }

    private static MemoryStream Build(Action<TarWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            write(writer);
        }

        stream.Position = 0;
        return stream;
    }

    private static PaxTarEntry File(string name, string content)
        => new(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };

    /// <summary>Rewrites the size field of the first regular-file header and fixes its checksum.</summary>
    private static void PatchSize(byte[] tar, string octal)
    {
        // A PAX archive starts with an extended header block; find the first header whose type flag is '0'.
        for (var offset = 0; offset + 512 <= tar.Length; offset += 512)
        {
            if (tar[offset + 156] == (byte)'0' && tar[offset + 257] == (byte)'u')
            {
                Encoding.ASCII.GetBytes(octal + "\0").CopyTo(tar, offset + 124);
                Array.Fill(tar, (byte)' ', offset + 148, 8);
                var sum = 0;
                for (var i = 0; i < 512; i++)
                {
                    sum += tar[offset + i];
                }

                Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(tar, offset + 148);
                return;
            }
        }

        throw new InvalidOperationException("No regular-file header found.");
    }
}
