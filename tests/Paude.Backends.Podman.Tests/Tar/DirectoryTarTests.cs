using System.Formats.Tar;
using Paude.Execution;

namespace Paude.Tests.Tar;

public sealed class DirectoryTarTests : IDisposable
{
    private const UnixFileMode Exec755 = (UnixFileMode)0x1ED;
    private const UnixFileMode Private600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly TempTree _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string BuildSampleTree()
    {
        var src = _tmp.Dir("src");
        _tmp.File("src/run.sh", "#!/bin/sh\necho hi\n", Exec755);
        _tmp.File("src/secret.txt", "private", Private600);
        _tmp.File("src/ünïcødé/日本語 file.txt", "unicode");
        _tmp.File("src/" + new string('d', 120) + "/" + new string('f', 150) + ".txt", "long name");
        _tmp.Dir("src/empty/nested-empty");
        var binary = new byte[300_000];
        new Random(42).NextBytes(binary);
        File.WriteAllBytes(_tmp.Path("src/blob.bin"), binary);
        File.CreateSymbolicLink(_tmp.Path("src/link-to-run"), "run.sh");
        File.CreateSymbolicLink(_tmp.Path("src/ünïcødé/up"), "../blob.bin");
        return src;
    }

    [Fact]
    public async Task Round_trip_through_SafeTarExtractor_keeps_content_modes_links_empty_dirs_and_unicode_names()
    {
        var src = BuildSampleTree();
        var dst = _tmp.Path("dst");

        await using (var archive = DirectoryTar.OpenRead(src))
        {
            await SafeTarExtractor.ExtractAsync(archive, dst);
        }

        Assert.Equal(TreeSnapshot.Describe(src), TreeSnapshot.Describe(dst));
        Assert.Equal(Exec755, File.GetUnixFileMode(Path.Combine(dst, "run.sh")));
        Assert.Equal("run.sh", new FileInfo(Path.Combine(dst, "link-to-run")).LinkTarget);
        Assert.True(Directory.Exists(Path.Combine(dst, "empty/nested-empty")));
    }

    [Fact]
    public async Task Archive_is_read_by_real_gnu_tar_with_the_same_content()
    {
        var src = BuildSampleTree();
        var tarFile = _tmp.Path("out.tar");
        await using (var archive = DirectoryTar.OpenRead(src))
        await using (var file = File.Create(tarFile))
        {
            await archive.CopyToAsync(file);
        }

        var dst = _tmp.Dir("gnu");
        (await ProcessRunner.RunAsync("tar", ["-C", dst, "-xf", tarFile])).EnsureSuccess("tar -x");

        Assert.Equal(TreeSnapshot.Describe(src), TreeSnapshot.Describe(dst));
    }

    [Fact]
    public async Task Archive_made_by_real_gnu_tar_extracts_to_the_same_tree()
    {
        var src = BuildSampleTree();
        using var archive = await ProcessRunner.RunBinaryAsync("tar", ["-C", src, "-cf", "-", "."]);
        var dst = _tmp.Path("dst");

        await SafeTarExtractor.ExtractAsync(archive, dst);

        Assert.Equal(TreeSnapshot.Describe(src), TreeSnapshot.Describe(dst));
    }

    [Fact]
    public async Task Order_is_deterministic_with_parents_before_children_and_no_dot_prefix()
    {
        var src = BuildSampleTree();
        var first = await EntryNamesAsync(src, null);
        var second = await EntryNamesAsync(src, null);

        Assert.Equal(first, second);
        Assert.All(first, n => Assert.False(n.StartsWith("./", StringComparison.Ordinal) || n.StartsWith('/')));
        Assert.True(first.IndexOf("empty/") < first.IndexOf("empty/nested-empty/"));
        Assert.Contains("link-to-run", first);
    }

    [Fact]
    public async Task Exclude_predicate_leaves_out_files_and_whole_subtrees()
    {
        var src = BuildSampleTree();
        _tmp.File("src/.git/HEAD", "ref: refs/heads/main");
        var names = await EntryNamesAsync(src, p => p == ".git" || p.EndsWith(".bin", StringComparison.Ordinal));

        Assert.DoesNotContain(names, n => n.StartsWith(".git", StringComparison.Ordinal));
        Assert.DoesNotContain("blob.bin", names);
        Assert.Contains("run.sh", names);
    }

    [Fact]
    public async Task Symlink_pointing_outside_is_archived_as_a_link_not_followed()
    {
        var src = _tmp.Dir("src");
        File.CreateSymbolicLink(_tmp.Path("src/etc"), "/etc");

        await using var archive = DirectoryTar.OpenRead(src);
        var reader = new TarReader(archive);
        var entry = await reader.GetNextEntryAsync();

        Assert.NotNull(entry);
        Assert.Equal(TarEntryType.SymbolicLink, entry.EntryType);
        Assert.Equal("/etc", entry.LinkName);
        Assert.Null(await reader.GetNextEntryAsync());
    }

    [Fact]
    public async Task Fifo_in_the_tree_is_skipped_instead_of_blocking()
    {
        var src = _tmp.Dir("src");
        _tmp.File("src/a.txt", "a");
        (await ProcessRunner.RunAsync("mkfifo", [_tmp.Path("src/pipe")])).EnsureSuccess("mkfifo");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var names = await EntryNamesAsync(src, null, timeout.Token);

        Assert.Equal(["a.txt"], names);
    }

    [Fact]
    public async Task CopyToAsync_writes_the_same_bytes_as_reading_and_the_archive_can_be_consumed_once()
    {
        var src = BuildSampleTree();
        for (var i = 0; i < 300; i++)
        {
            _tmp.File($"src/many/f{i:D3}.txt", new string('x', i * 37));
        }

        using var read = new MemoryStream();
        await using (var archive = DirectoryTar.OpenRead(src))
        {
            var buffer = new byte[7919]; // odd size: the reader sees every chunk boundary of the writer
            int n;
            while ((n = await archive.ReadAsync(buffer)) > 0)
            {
                read.Write(buffer, 0, n);
            }
        }

        using var copied = new MemoryStream();
        await using (var archive = DirectoryTar.OpenRead(src))
        {
            await archive.CopyToAsync(copied);
            await Assert.ThrowsAsync<InvalidOperationException>(() => archive.CopyToAsync(Stream.Null));
        }

        // Part read, the rest copied: the copy continues from where the reader is.
        using var mixed = new MemoryStream();
        await using (var archive = DirectoryTar.OpenRead(src))
        {
            var head = new byte[1000];
            await archive.ReadExactlyAsync(head);
            mixed.Write(head);
            await archive.CopyToAsync(mixed);
        }

        Assert.True(read.Length > 300 * 512);
        Assert.Equal(0, read.Length % 512);
        Assert.Equal(read.ToArray(), copied.ToArray());
        Assert.Equal(read.ToArray(), mixed.ToArray());
    }

    [Fact]
    public async Task Cancelling_a_CopyToAsync_stops_the_writer_with_OperationCanceledException()
    {
        var src = _tmp.Dir("src");
        for (var i = 0; i < 200; i++)
        {
            _tmp.File($"src/f{i:D3}.txt", new string('y', 4096));
        }

        using var cts = new CancellationTokenSource();
        await using var archive = DirectoryTar.OpenRead(src);
        var slow = new CancelAfterFirstWriteStream(cts);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => archive.CopyToAsync(slow, 81920, cts.Token));
        Assert.Equal(1, slow.Writes);
    }

    [Fact]
    public void Missing_folder_is_a_clear_error()
    {
        var ex = Assert.Throws<DirectoryNotFoundException>(() => DirectoryTar.OpenRead(_tmp.Path("nope")));
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<List<string>> EntryNamesAsync(string src, Func<string, bool>? exclude, CancellationToken ct = default)
    {
        var names = new List<string>();
        await using var archive = DirectoryTar.OpenRead(src, exclude, ct);
        var reader = new TarReader(archive);
        while (await reader.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            names.Add(entry.Name);
            if (entry.DataStream is { } data)
            {
                await data.CopyToAsync(Stream.Null, ct);
            }
        }

        return names;
    }

    /// <summary>A destination that cancels the copy when it receives its first write.</summary>
    private sealed class CancelAfterFirstWriteStream(CancellationTokenSource cts) : Stream
    {
        public int Writes { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => 0;

        public override long Position { get => 0; set { } }

        public override void Write(byte[] buffer, int offset, int count)
        {
            Writes++;
            cts.Cancel();
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
