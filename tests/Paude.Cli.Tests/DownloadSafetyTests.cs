using System.Diagnostics;
using System.Formats.Tar;
using Paude.Cli.Support;
using Paude.Errors;

namespace Paude.Cli.Tests;

/// <summary>
/// What comes back from a session is untrusted: the download's extractor must refuse anything that could write
/// outside the destination or create special files. Archives are made by the real tar binary or by TarWriter
/// (for entries tar itself would never write).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DownloadSafetyTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("paude-cli-extract-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_real_tar_archive_round_trips_with_modes_links_unicode_and_empty_folders()
    {
        var source = Directory.CreateDirectory(Path.Combine(_root, "src")).FullName;
        Directory.CreateDirectory(Path.Combine(source, "empty"));
        Directory.CreateDirectory(Path.Combine(source, "sub", "deeper"));
        await File.WriteAllTextAsync(Path.Combine(source, "sub", "deeper", "héllo wörld.txt"), "unicode");
        await File.WriteAllBytesAsync(Path.Combine(source, "blob.bin"), [0, 1, 2, 255, 0]);
        var script = Path.Combine(source, "run.sh");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho hi\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(source, "link-to-blob"), "blob.bin");
        var archive = Path.Combine(_root, "a.tar");
        Run("tar", "-C", source, "-cf", archive, ".");

        var destination = Path.Combine(_root, "dst");
        Directory.CreateDirectory(destination);
        await using (var stream = File.OpenRead(archive))
        {
            await DirectoryArchive.ExtractAsync(stream, destination, CancellationToken.None);
        }

        Assert.True(Directory.Exists(Path.Combine(destination, "empty")));
        Assert.Equal("unicode", await File.ReadAllTextAsync(Path.Combine(destination, "sub", "deeper", "héllo wörld.txt")));
        Assert.Equal(new byte[] { 0, 1, 2, 255, 0 }, await File.ReadAllBytesAsync(Path.Combine(destination, "blob.bin")));
        Assert.True(File.GetUnixFileMode(Path.Combine(destination, "run.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("blob.bin", new FileInfo(Path.Combine(destination, "link-to-blob")).LinkTarget);
    }

    public static TheoryData<string, TarEntryType, string?> UnsafeEntries => new()
    {
        { "../escape.txt", TarEntryType.RegularFile, null },
        { "a/../../escape.txt", TarEntryType.RegularFile, null },
        { "/etc/paude-escape", TarEntryType.RegularFile, null },
        { "link-out", TarEntryType.SymbolicLink, "../../etc/passwd" },
        { "abs-link", TarEntryType.SymbolicLink, "/etc/passwd" },
        { "hard-out", TarEntryType.HardLink, "../outside.txt" },
        { "dev-null", TarEntryType.CharacterDevice, null },
        { "disk", TarEntryType.BlockDevice, null },
        { "fifo", TarEntryType.Fifo, null },
    };

    [Theory]
    [MemberData(nameof(UnsafeEntries))]
    public async Task Unsafe_entries_are_refused_and_nothing_lands_outside(string name, TarEntryType type, string? link)
    {
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(type, name);
            if (link is not null)
            {
                entry.LinkName = link;
            }

            if (type == TarEntryType.RegularFile)
            {
                entry.DataStream = new MemoryStream("pwned"u8.ToArray());
            }

            await writer.WriteEntryAsync(entry);
        }

        archive.Position = 0;
        var destination = Directory.CreateDirectory(Path.Combine(_root, "inner", "dst")).FullName;

        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => DirectoryArchive.ExtractAsync(archive, destination, CancellationToken.None));

        Assert.Equal(name, error.Entry);
        Assert.False(File.Exists(Path.Combine(_root, "inner", "escape.txt")));
        Assert.False(File.Exists(Path.Combine(_root, "escape.txt")));
        Assert.False(File.Exists("/etc/paude-escape"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(destination));
    }

    [Fact]
    public async Task Writing_through_a_symlink_made_by_an_earlier_entry_is_refused()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        using var archive = new MemoryStream();
        await using (var writer = new TarWriter(archive, TarEntryFormat.Pax, leaveOpen: true))
        {
            // "dir" -> "sub" is inside the download, so the link itself is allowed; writing through it is not.
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "sub"));
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "dir") { LinkName = "sub" });
            await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "dir/x.txt") { DataStream = new MemoryStream("x"u8.ToArray()) });
        }

        archive.Position = 0;
        var destination = Directory.CreateDirectory(Path.Combine(_root, "dst2")).FullName;

        var error = await Assert.ThrowsAsync<UnsafeContentException>(() => DirectoryArchive.ExtractAsync(archive, destination, CancellationToken.None));

        Assert.Equal("dir/x.txt", error.Entry);
        Assert.False(File.Exists(Path.Combine(destination, "sub", "x.txt")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    private static void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} failed: {stderr}");
    }
}
