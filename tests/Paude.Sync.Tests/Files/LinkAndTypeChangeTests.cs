using Paude.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>
/// A pull never writes or deletes through a symbolic link on the way (local links, or links a session planted
/// through a commit), and a folder, file or link standing where the session has something of another type is a
/// conflict left alone, not a recursive delete (with force it is moved into a backup first).
/// </summary>
[Collection(SyncGroup.Name)]
public sealed class LinkAndTypeChangeTests(SyncFixture fixture) : SyncTestBase(fixture)
{
    [Fact]
    public async Task A_local_folder_link_to_outside_the_workspace_is_refused_naming_the_path()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        using var outside = new TempFolder("paude-outside-");
        local.Write("keep.txt", "local\n");
        File.CreateSymbolicLink(Path.Combine(local.Path, "linkdir"), outside.Path);
        await Fixture.WriteAsync(session, ws, "linkdir/x", "from the session\n");
        var before = TreeSnapshot.Describe(local.Path);

        var ex = await Assert.ThrowsAsync<UnsafeLocalPathException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude));

        AssertRefusedNothingOutside(ex, "linkdir/x", "linkdir", outside);
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));
    }

    [Fact]
    public async Task A_local_folder_link_inside_the_workspace_is_refused_too()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("real/own.txt", "mine\n");
        File.CreateSymbolicLink(Path.Combine(local.Path, "alias"), "real");
        await Fixture.WriteAsync(session, ws, "alias/own.txt", "session\n");
        await Fixture.WriteAsync(session, ws, "alias/new.txt", "session\n");
        await Fixture.WriteAsync(session, ws, "real/own.txt", "mine\n");

        var ex = await Assert.ThrowsAsync<UnsafeLocalPathException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge));

        Assert.Equal("alias", ex.Link);
        Assert.Equal("mine\n", local.Read("real/own.txt"));
        Assert.False(local.Exists("real/new.txt"));
    }

    [Fact]
    public async Task A_link_planted_by_a_session_commit_and_taken_by_a_merge_is_never_written_through()
    {
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        using var outside = new TempFolder("paude-outside-");
        await local.CommitAsync("a.txt", "a\n", "X");
        await PushAsync(session, local, ws);
        await Fixture.ExecAsync(session, "ln", "-s", outside.Path, ws + "/planted");
        await Fixture.GitAsync(session, ws, "add", "-A");
        await Fixture.GitAsync(session, ws, "commit", "-q", "-m", "a link");
        await PullAsync(session, local, ws, SyncStrategy.Merge);
        Assert.NotNull(new FileInfo(Path.Combine(local.Path, "planted")).LinkTarget);

        // The session turns its link into a folder with a file: the next file-level pull must not follow the local link.
        await Fixture.ExecAsync(session, "rm", ws + "/planted");
        await Fixture.WriteAsync(session, ws, "planted/payload", "owned\n");
        var ex = await Assert.ThrowsAsync<UnsafeLocalPathException>(() => SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude));

        AssertRefusedNothingOutside(ex, "planted/payload", "planted", outside);
    }

    [Theory]
    [InlineData(SyncStrategy.Merge)]
    [InlineData(SyncStrategy.Overwrite)]
    public async Task A_git_checkout_never_writes_through_a_local_folder_link(SyncStrategy strategy)
    {
        // libgit2 writes what a merge or overwrite checks out; a local link 'linkdir -> /outside' and a session commit
        // adding 'linkdir/x' must be refused before the checkout starts (issue 12, "libgit2 checkouts").
        var session = await Fixture.SessionAsync("s1");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync();
        using var outside = new TempFolder("paude-outside-");
        await local.CommitAsync("a.txt", "a\n", "X");
        await PushAsync(session, local, ws);
        await Fixture.WriteAsync(session, ws, "linkdir/x", "from the session\n");
        await Fixture.GitAsync(session, ws, "add", "-A");
        await Fixture.GitAsync(session, ws, "commit", "-q", "-m", "adds linkdir/x");
        File.CreateSymbolicLink(Path.Combine(local.Path, "linkdir"), outside.Path);
        var state = await local.StateAsync();

        var ex = await Assert.ThrowsAsync<UnsafeLocalPathException>(() => PullAsync(session, local, ws, strategy, force: strategy == SyncStrategy.Overwrite));

        AssertRefusedNothingOutside(ex, "linkdir/x", "linkdir", outside);
        Assert.Equal(state, await local.StateAsync());
    }

    [Fact]
    public async Task A_session_file_over_a_local_folder_is_a_conflict_and_force_moves_the_folder_to_a_backup()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("d/keep.txt", "local only\n");
        local.Write("d/node_modules/m.js", "excluded, never listed\n");
        await Fixture.WriteAsync(session, ws, "d", "a file in the session\n");
        var before = TreeSnapshot.Describe(local.Path);

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);

        Assert.Equal(["d"], result.Conflicts);
        Assert.Empty(result.FilesChanged);
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));

        var forced = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude, force: true);

        Assert.Equal(["d"], forced.FilesChanged);
        Assert.Equal("a file in the session\n", local.Read("d"));
        var backup = Assert.Single(forced.BackupRefs);
        Assert.Equal("local only\n", File.ReadAllText(Path.Combine(backup, "d", "keep.txt")));
        Assert.Equal("excluded, never listed\n", File.ReadAllText(Path.Combine(backup, "d", "node_modules", "m.js")));
    }

    [Fact]
    public async Task A_session_folder_over_a_local_file_or_link_is_a_conflict()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        local.Write("f", "local only file\n");
        File.CreateSymbolicLink(Path.Combine(local.Path, "l"), "f");
        await Fixture.WriteAsync(session, ws, "f/x", "session\n");
        await Fixture.WriteAsync(session, ws, "l", "session file over a local link\n");
        var before = TreeSnapshot.Describe(local.Path);

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Merge);

        Assert.Equal(["f/x", "l"], result.Conflicts);
        Assert.Equal(before, TreeSnapshot.Describe(local.Path));
        Assert.Equal("local only file\n", local.Read("f"));
    }

    [Fact]
    public async Task A_folder_the_last_sync_wrote_becomes_a_file_when_the_session_says_so()
    {
        var session = await Fixture.SessionAsync("s2");
        var ws = NewSessionWorkspace();
        using var local = await LocalRepo.CreateAsync(git: false);
        await Fixture.WriteAsync(session, ws, "d/a.txt", "1\n");
        await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);
        Assert.Equal("1\n", local.Read("d/a.txt"));
        await Fixture.ExecAsync(session, "rm", "-r", ws + "/d");
        await Fixture.WriteAsync(session, ws, "d", "now a file\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);

        Assert.Empty(result.Conflicts);
        Assert.Equal(["d/a.txt"], result.FilesDeleted);
        Assert.Equal("now a file\n", local.Read("d"));
    }

    /// <summary>The refusal names the path and the link on its way, and nothing reached the folder the link points to.</summary>
    private static void AssertRefusedNothingOutside(UnsafeLocalPathException refused, string path, string link, TempFolder outside)
    {
        Assert.Equal(path, refused.Path);
        Assert.Equal(link, refused.Link);
        Assert.Empty(outside.Entries);
    }
}
