using System.IO.Hashing;
using System.Text;
using Paude.Sync.Continuous.Helper;

namespace Paude.SessionHelper.Tests;

/// <summary>The real helper as a child process on a real folder: every operation of PROTOCOL.md, and its refusals.</summary>
public sealed class HelperOperationTests : IDisposable
{
    private readonly TempTree _tree = new();
    private static readonly CancellationToken None = CancellationToken.None;

    public void Dispose() => _tree.Dispose();

    [Fact]
    public async Task Hello_reports_the_build_the_host_expects_from_an_image()
    {
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);
        Assert.Equal(SessionHelperLauncher.ExpectedBuild, helper.Connection.HelperBuild);
    }

    [Fact]
    public async Task List_reports_files_folders_and_links_with_hashes_and_skips_excluded_names()
    {
        _tree.Write("a.txt", "alpha");
        _tree.Write("src/b.cs", "beta");
        _tree.Write("node_modules/x/y.js", "skip me");
        File.CreateSymbolicLink(Path.Combine(_tree.Workspace, "link"), _tree.Outside);
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var entries = await helper.ListAsync([""], ["node_modules"], hash: true, None);

        Assert.Equal(["a.txt", "link", "src", "src/b.cs"], entries.Select(e => e.Path));
        var a = entries.Single(e => e.Path == "a.txt");
        Assert.Equal((HelperEntryKind.File, 5L), (a.Kind, a.Size));
        Assert.Equal(XxHash128.Hash("alpha"u8), a.Hash);
        var link = entries.Single(e => e.Path == "link");
        Assert.Equal((HelperEntryKind.Symlink, _tree.Outside), (link.Kind, link.LinkTarget));
        Assert.Equal(HelperEntryKind.Directory, entries.Single(e => e.Path == "src").Kind);
    }

    [Fact]
    public async Task Listing_twice_lists_the_same_tree()
    {
        _tree.Write("a.txt", "alpha");
        _tree.Write("src/b.cs", "beta");
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var first = await helper.ListAsync([""], [], hash: false, None);
        var second = await helper.ListAsync([""], [], hash: false, None);

        Assert.Equal(["a.txt", "src", "src/b.cs"], first.Select(e => e.Path));
        Assert.Equal(first.Select(e => e.Path), second.Select(e => e.Path));
    }

    [Fact]
    public async Task Read_streams_the_content_and_its_metadata()
    {
        var big = new byte[600_000];
        new Random(7).NextBytes(big);
        File.WriteAllBytes(Path.Combine(_tree.Workspace, "big.bin"), big);
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var into = new MemoryStream();
        var info = await helper.ReadAsync("big.bin", into, 1 << 20, None);

        Assert.Equal(big, into.ToArray());
        Assert.Equal(XxHash128.Hash(big), info.Hash);
        Assert.Equal(big.Length, info.Size);
    }

    [Theory]
    [InlineData("../outside/secret")]
    [InlineData("/etc/passwd")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    public async Task Paths_that_leave_the_workspace_are_refused(string path)
    {
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var e = await Assert.ThrowsAsync<HelperOperationException>(() => helper.ReadAsync(path, Stream.Null, 100, None));

        Assert.Equal(HelperErrorCode.BadPath, e.Code);
        Assert.True(helper.Connection.IsOpen, "a refused request leaves the connection usable");
    }

    [Fact]
    public async Task Read_and_write_refuse_a_symlinked_leading_folder_and_write_nothing_outside()
    {
        File.WriteAllText(Path.Combine(_tree.Outside, "secret"), "host secret");
        File.CreateSymbolicLink(Path.Combine(_tree.Workspace, "out"), _tree.Outside);
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var read = await Assert.ThrowsAsync<HelperOperationException>(() => helper.ReadAsync("out/secret", Stream.Null, 100, None));
        var write = await Assert.ThrowsAsync<HelperOperationException>(() => WriteAsync(helper, "out/new", "x"));
        var nested = await Assert.ThrowsAsync<HelperOperationException>(() => WriteAsync(helper, "out/deeper/new", "x"));

        Assert.All(new[] { read, write, nested }, e => Assert.Equal(HelperErrorCode.LinkRefused, e.Code));
        Assert.Equal([Path.Combine(_tree.Outside, "secret")], _tree.OutsideContent());
        Assert.Equal("host secret", File.ReadAllText(Path.Combine(_tree.Outside, "secret")));
    }

    [Fact]
    public async Task Write_replaces_a_link_at_the_target_instead_of_writing_through_it()
    {
        var victim = Path.Combine(_tree.Outside, "victim");
        File.WriteAllText(victim, "untouched");
        File.CreateSymbolicLink(Path.Combine(_tree.Workspace, "f"), victim);
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        await WriteAsync(helper, "f", "new content");

        Assert.Equal("untouched", File.ReadAllText(victim));
        Assert.Null(new FileInfo(Path.Combine(_tree.Workspace, "f")).LinkTarget);
        Assert.Equal("new content", File.ReadAllText(Path.Combine(_tree.Workspace, "f")));
    }

    [Fact]
    public async Task Write_is_atomic_sets_mode_and_mtime_creates_parents_and_leaves_no_temporary_file()
    {
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);
        var mtime = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var hash = await WriteAsync(helper, "deep/er/run.sh", "#!/bin/sh\n", new HelperWriteOptions { Mode = 0x1ED, MTimeNs = mtime.ToUnixTimeMilliseconds() * 1_000_000 });

        var full = Path.Combine(_tree.Workspace, "deep/er/run.sh");
        Assert.Equal("#!/bin/sh\n", File.ReadAllText(full));
        Assert.Equal(XxHash128.Hash(Encoding.UTF8.GetBytes("#!/bin/sh\n")), hash);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, File.GetUnixFileMode(full));
        Assert.Equal(mtime, File.GetLastWriteTimeUtc(full));
        Assert.Equal(["run.sh"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(full)!).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Write_with_a_stale_hash_or_onto_a_folder_is_refused_and_changes_nothing()
    {
        _tree.Write("f.txt", "agent's version");
        Directory.CreateDirectory(Path.Combine(_tree.Workspace, "dir"));
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var stale = await Assert.ThrowsAsync<HelperOperationException>(() =>
            WriteAsync(helper, "f.txt", "host's version", new HelperWriteOptions { IfMatch = XxHash128.Hash("what the host last saw"u8) }));
        var absent = await Assert.ThrowsAsync<HelperOperationException>(() => WriteAsync(helper, "f.txt", "x", new HelperWriteOptions { IfAbsent = true }));
        var folder = await Assert.ThrowsAsync<HelperOperationException>(() => WriteAsync(helper, "dir", "x"));
        var matching = await WriteAsync(helper, "f.txt", "host's version", new HelperWriteOptions { IfMatch = XxHash128.Hash("agent's version"u8) });

        Assert.Equal((HelperErrorCode.PreconditionFailed, HelperErrorCode.PreconditionFailed, HelperErrorCode.IsDirectory), (stale.Code, absent.Code, folder.Code));
        Assert.Equal("host's version", File.ReadAllText(Path.Combine(_tree.Workspace, "f.txt")));
        Assert.Equal(XxHash128.Hash("host's version"u8), matching);
        Assert.Equal(["dir", "f.txt"], Directory.EnumerateFileSystemEntries(_tree.Workspace).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Delete_never_empties_a_folder_unless_asked_and_removes_links_as_links()
    {
        _tree.Write("full/keep.txt", "local-only work");
        File.WriteAllText(Path.Combine(_tree.Outside, "target"), "outside");
        File.CreateSymbolicLink(Path.Combine(_tree.Workspace, "dirlink"), _tree.Outside);
        _tree.Write("gone/a/b.txt", "x");
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var notEmpty = await Assert.ThrowsAsync<HelperOperationException>(() => helper.DeleteAsync("full", recursive: false, null, None));
        await helper.DeleteAsync("dirlink", recursive: true, null, None);
        await helper.DeleteAsync("gone", recursive: true, null, None);
        var root = await Assert.ThrowsAsync<HelperOperationException>(() => helper.DeleteAsync("", recursive: true, null, None));

        Assert.Equal((HelperErrorCode.NotEmpty, HelperErrorCode.BadPath), (notEmpty.Code, root.Code));
        Assert.True(File.Exists(Path.Combine(_tree.Workspace, "full/keep.txt")));
        Assert.True(File.Exists(Path.Combine(_tree.Outside, "target")), "the link's target survives");
        Assert.False(Path.Exists(Path.Combine(_tree.Workspace, "dirlink")));
        Assert.False(Path.Exists(Path.Combine(_tree.Workspace, "gone")));
    }

    [Fact]
    public async Task Delete_with_a_stale_hash_keeps_the_agents_edit()
    {
        _tree.Write("f.txt", "edited by the agent");
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var e = await Assert.ThrowsAsync<HelperOperationException>(() => helper.DeleteAsync("f.txt", false, XxHash128.Hash("old"u8), None));
        await helper.DeleteAsync("f.txt", false, XxHash128.Hash("edited by the agent"u8), None);

        Assert.Equal(HelperErrorCode.PreconditionFailed, e.Code);
        Assert.False(File.Exists(Path.Combine(_tree.Workspace, "f.txt")));
    }

    [Fact]
    public async Task Watch_reports_changes_in_new_folders_renames_and_deletes()
    {
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<HelperChange>();
        var events = helper.WatchAsync([".git"], cts.Token).GetAsyncEnumerator(cts.Token);
        var first = events.MoveNextAsync(); // starts the watch

        await Task.Delay(300, cts.Token);
        _tree.Write("new/inner/file.txt", "made right after its folder");
        await Task.Delay(300, cts.Token);
        File.Move(Path.Combine(_tree.Workspace, "new/inner/file.txt"), Path.Combine(_tree.Workspace, "new/inner/renamed.txt"));
        _tree.Write("new/inner/later.txt", "in a folder the watch added itself");
        File.Delete(Path.Combine(_tree.Workspace, "new/inner/later.txt"));

        Assert.True(await first);
        seen.Add(events.Current);
        while (!seen.Any(c => c is { Kind: HelperChangeKind.Deleted, Path: "new/inner/later.txt" }) && await events.MoveNextAsync())
            seen.Add(events.Current);

        Assert.Contains(seen, c => c is { Kind: HelperChangeKind.Created, Path: "new", IsDirectory: true });
        Assert.Contains(seen, c => c.Path == "new/inner/file.txt");
        Assert.Contains(seen, c => c is { Kind: HelperChangeKind.MovedFrom, Path: "new/inner/file.txt" });
        Assert.Contains(seen, c => c is { Kind: HelperChangeKind.MovedTo, Path: "new/inner/renamed.txt" });
        Assert.Contains(seen, c => c is { Kind: HelperChangeKind.Modified, Path: "new/inner/later.txt" });
        await events.DisposeAsync();
    }

    [Fact]
    public async Task Git_runs_in_the_workspace_and_cuts_output_at_the_cap()
    {
        await ProcessRunner.RunAsync("git", ["-C", _tree.Workspace, "init", "-q"]);
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);

        var top = await helper.GitAsync(["rev-parse", "--show-toplevel"], 4096, None);
        var cut = await helper.GitAsync(["rev-parse", "--show-toplevel"], 3, None);
        var bad = await helper.GitAsync(["no-such-command"], 4096, None);

        Assert.Equal((0, _tree.Workspace + "\n", false), (top.ExitCode, Encoding.UTF8.GetString(top.StandardOutput), top.Truncated));
        Assert.Equal((3, true), (cut.StandardOutput.Length, cut.Truncated));
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("no-such-command", Encoding.UTF8.GetString(bad.StandardError), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_write_whose_local_content_ends_early_leaves_the_helper_ready_for_the_next_write()
    {
        // The two-way loop streams a local file the user may be truncating: the content ends before its announced
        // length and the host gives the write up. The helper must not keep that write open, or every later write on
        // the connection is refused ("a write is already open") and the loop never settles (seen in the soak).
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);
        var shrunk = new MemoryStream(Encoding.UTF8.GetBytes("half"));

        var ended = await Assert.ThrowsAsync<IOException>(() => helper.WriteAsync("a.txt", shrunk, 1_000, new HelperWriteOptions(), None));
        var next = await WriteAsync(helper, "b.txt", "beta");

        Assert.Contains("ended after 4 of 1000 bytes", ended.Message, StringComparison.Ordinal);
        Assert.Equal(XxHash128.Hash("beta"u8), next);
        Assert.Equal("beta", File.ReadAllText(Path.Combine(_tree.Workspace, "b.txt")));
        Assert.False(File.Exists(Path.Combine(_tree.Workspace, "a.txt")));
        Assert.Empty(Directory.GetFiles(_tree.Workspace, ".paude-helper-*"));
    }

    [Fact]
    public async Task A_large_write_given_up_midway_ends_the_connection_instead_of_leaving_the_write_open()
    {
        // More left than one chunk: the write can only be ended by a short WriteEnd, which ends the helper. The host
        // then sees a closed connection (and reconnects), never a helper that refuses every write.
        await using var helper = await LocalHelper.ConnectAsync(_tree.Workspace);
        var shrunk = new MemoryStream(Encoding.UTF8.GetBytes("half"));

        await Assert.ThrowsAsync<IOException>(() => helper.WriteAsync("a.txt", shrunk, 10_000_000, new HelperWriteOptions(), None));
        var next = await Assert.ThrowsAnyAsync<Exception>(() => WriteAsync(helper, "b.txt", "beta"));

        Assert.IsType<HelperChannelException>(next);
        Assert.False(helper.Connection.IsOpen);
        Assert.False(File.Exists(Path.Combine(_tree.Workspace, "a.txt")));
    }

    private static Task<byte[]> WriteAsync(HelperClient helper, string path, string content, HelperWriteOptions? options = null)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        return helper.WriteAsync(path, new MemoryStream(bytes), bytes.Length, options ?? new HelperWriteOptions(), None);
    }
}
