using System.Formats.Tar;
using Paude.Backends.OpenShift.Tests.Integration;
using Paude.Conformance;
using Paude.Errors;
using Paude.Sessions;
using Paude.Sync;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>
/// Paude.Sync on OpenShift sessions: the engine only uses the session contract (exec + file channel), so the
/// important scenarios of Paude.Sync.Tests must hold unchanged over the exec WebSocket of the Kubernetes API.
/// Two sessions (the collection's shared one and a second one) serve every test, each in its own workspace folder.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class OpenShiftSyncTests(KubeServerFixture fixture)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static SessionName? _second;

    private ISessionBackend Backend => fixture.Backend;

    [Fact]
    public async Task Push_sends_commits_and_uncommitted_edits_and_an_unchanged_push_moves_nothing()
    {
        var session = await SharedSession.GetAsync(fixture);
        var ws = SessionWork.NewWorkspace();
        using var local = await LocalRepo.CreateAsync();
        for (var i = 0; i < 10; i++)
        {
            local.Write($"src/file{i}.txt", $"content {i}\n");
        }

        var head = await local.CommitAsync("README.md", "r\n", "X");
        local.Write("src/file3.txt", "edited, not committed\n");

        var first = await PushAsync(session, local, ws);

        Assert.Equal(1, first.CommitsTransferred);
        Assert.Equal(head, (await Backend.GitAsync(session, ws, "rev-parse", "HEAD")).Trim());
        Assert.Equal("edited, not committed\n", await Backend.CheckAsync(session, "cat", ws + "/src/file3.txt"));
        Assert.Equal("content 7\n", await Backend.CheckAsync(session, "cat", ws + "/src/file7.txt"));
        var unchanged = await PushAsync(session, local, ws);
        Assert.Empty(unchanged.FilesChanged);
        Assert.Equal(0, unchanged.CommitsTransferred);
        Assert.Equal(0, unchanged.BytesMoved);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Bug003_two_sessions_with_the_branch_strategy_lose_no_commit_in_either_order(bool aFirst)
    {
        var (a, b) = await SessionsAsync();
        using var local = await LocalRepo.CreateAsync();
        var x = await local.CommitAsync("shared.txt", "line 1\nline 2\nline 3\n", "X");
        var (wsA, wsB) = (SessionWork.NewWorkspace(), SessionWork.NewWorkspace());
        await PushAsync(a, local, wsA);
        await PushAsync(b, local, wsB);
        string[] aCommits = [await Backend.CommitAsync(a, wsA, "feature-a.txt", "a1\n", "A1"), await Backend.CommitAsync(a, wsA, "shared.txt", "line 1\nA\nline 3\n", "A2")];
        string[] bCommits = [await Backend.CommitAsync(b, wsB, "feature-b.txt", "b1\n", "B1"), await Backend.CommitAsync(b, wsB, "shared.txt", "line 1\nB\nline 3\n", "B2")];
        var before = await local.StateAsync();

        foreach (var (session, ws) in aFirst ? new[] { (a, wsA), (b, wsB) } : [(b, wsB), (a, wsA)])
        {
            var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Branch);
            Assert.Equal(2, result.CommitsTransferred);
            Assert.Equal([$"refs/heads/paude/{session.Value}"], result.RefsWritten);
        }

        Assert.Equal(before, await local.StateAsync());
        Assert.Equal(aCommits[1], await local.GitAsync("rev-parse", "paude/" + a.Value));
        Assert.Equal(bCommits[1], await local.GitAsync("rev-parse", "paude/" + b.Value));
        foreach (var commit in (string[])[x, .. aCommits, .. bCommits])
        {
            Assert.True(await local.IsReachableAsync(commit), $"commit {commit} is not reachable from any local ref");
        }

        await local.GitAsync("fsck", "--no-progress", "--strict");
    }

    [Fact]
    public async Task A_conflicting_merge_is_aborted_naming_the_path_and_leaves_the_workspace_exactly_as_before()
    {
        var (a, b) = await SessionsAsync();
        using var local = await LocalRepo.CreateAsync();
        await local.CommitAsync("shared.txt", "line 1\nline 2\nline 3\n", "X");
        var (wsA, wsB) = (SessionWork.NewWorkspace(), SessionWork.NewWorkspace());
        await PushAsync(a, local, wsA);
        await PushAsync(b, local, wsB);
        var a2 = await Backend.CommitAsync(a, wsA, "shared.txt", "line 1\nA\nline 3\n", "A2");
        var b2 = await Backend.CommitAsync(b, wsB, "shared.txt", "line 1\nB\nline 3\n", "B2");
        await SyncAsync(a, local, wsA, SyncDirection.FromSession, SyncStrategy.Merge);
        Assert.Equal(a2, await local.GitAsync("rev-parse", "HEAD"));
        local.Write("scratch.txt", "uncommitted, untouched by the merge\n");
        var before = await local.StateAsync();

        var ex = await Assert.ThrowsAsync<SyncConflictException>(() => SyncAsync(b, local, wsB, SyncDirection.FromSession, SyncStrategy.Merge));

        Assert.Equal(["shared.txt"], ex.Paths);
        Assert.Equal(before, await local.StateAsync());
        Assert.False(File.Exists(Path.Combine(local.Path, ".git", "MERGE_HEAD")));
        await SyncAsync(b, local, wsB, SyncDirection.FromSession, SyncStrategy.Branch);
        Assert.True(await local.IsReachableAsync(b2));
    }

    [Fact]
    public async Task Exclude_takes_session_only_changes_keeps_local_only_ones_and_reports_the_file_changed_on_both_sides()
    {
        var session = await SharedSession.GetAsync(fixture);
        var ws = SessionWork.NewWorkspace();
        using var local = await LocalRepo.CreateAsync();
        local.Write("only-session.txt", "base\n");
        local.Write("only-local.txt", "base\n");
        local.Write("both.txt", "base\n");
        var head = await local.CommitAsync("README.md", "r\n", "X");
        await PushAsync(session, local, ws);
        await Backend.WriteAsync(session, ws, "only-session.txt", "session\n");
        await Backend.WriteAsync(session, ws, "both.txt", "session\n");
        await Backend.WriteAsync(session, ws, "new/in-session.txt", "new\n");
        local.Write("only-local.txt", "local\n");
        local.Write("both.txt", "local\n");

        var result = await SyncAsync(session, local, ws, SyncDirection.FromSession, SyncStrategy.Exclude);

        Assert.Equal(["new/in-session.txt", "only-session.txt"], result.FilesChanged);
        Assert.Equal(["both.txt"], result.Conflicts);
        Assert.Equal("session\n", local.Read("only-session.txt"));
        Assert.Equal("new\n", local.Read("new/in-session.txt"));
        Assert.Equal("local\n", local.Read("only-local.txt"));
        Assert.Equal("local\n", local.Read("both.txt"));
        Assert.Equal(head, await local.GitAsync("rev-parse", "HEAD"));

        var back = await SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Exclude);
        Assert.Equal(["only-local.txt"], back.FilesChanged);
        Assert.Equal(["both.txt"], back.Conflicts);
        Assert.Equal("local\n", await Backend.CheckAsync(session, "cat", ws + "/only-local.txt"));
        Assert.Equal("session\n", await Backend.CheckAsync(session, "cat", ws + "/both.txt"));
    }

    [Theory]
    [InlineData("dotdot")]
    [InlineData("symlink-out")]
    public async Task A_hostile_archive_from_the_session_is_refused_and_nothing_is_written(string kind)
    {
        var (_, session) = await SessionsAsync();
        var ws = SessionWork.NewWorkspace();
        var parent = Directory.CreateTempSubdirectory("paude-os-hostile-").FullName;
        var container = await AgentContainerAsync(session);
        try
        {
            var localPath = Path.Combine(parent, "workspace");
            Directory.CreateDirectory(localPath);
            await File.WriteAllTextAsync(Path.Combine(localPath, "f.txt"), "local\n");
            await Backend.CheckAsync(session, "mkdir", "-p", ws);
            await Backend.WriteAsync(session, ws, "f.txt", "from session\n");

            // A compromised session: a planted "tar" (root inside the container, as an attacker with an exploit
            // would be) answers every request with a hostile archive. The exec API has no user switch, so the
            // test plants it through the pod's real Podman container.
            await PodmanAsync(HostileArchive(kind), "exec", "-i", "--user", "0", container, "sh", "-c", "cat > /tmp/evil.tar");
            await PodmanAsync("#!/bin/sh\nexec cat /tmp/evil.tar\n"u8.ToArray(), "exec", "-i", "--user", "0", container, "sh", "-c", "cat > /usr/local/bin/tar && chmod 755 /usr/local/bin/tar");
            var before = TreeSnapshot.Describe(parent);

            var ex = await Assert.ThrowsAnyAsync<PaudeException>(() => fixture.Sync.SyncAsync(session, localPath, new SyncOptions
            {
                Direction = SyncDirection.FromSession,
                Strategy = SyncStrategy.Overwrite,
                Force = true,
                SessionWorkspace = ws,
            }));

            Assert.IsType<UnsafeContentException>(ex);
            Assert.Equal(before, TreeSnapshot.Describe(parent));
        }
        finally
        {
            await PodmanAsync(null, "exec", "--user", "0", container, "rm", "-f", "/usr/local/bin/tar", "/tmp/evil.tar");
            Directory.Delete(parent, recursive: true);
        }
    }

    private Task<SyncResult> PushAsync(SessionName session, LocalRepo local, string ws) =>
        SyncAsync(session, local, ws, SyncDirection.ToSession, SyncStrategy.Branch);

    private Task<SyncResult> SyncAsync(SessionName session, LocalRepo local, string ws, SyncDirection direction, SyncStrategy strategy) =>
        fixture.Sync.SyncAsync(session, local.Path, new SyncOptions { Direction = direction, Strategy = strategy, SessionWorkspace = ws });

    /// <summary>The collection's shared session and a second running session created once for the sync tests.</summary>
    private async Task<(SessionName A, SessionName B)> SessionsAsync()
    {
        var a = await SharedSession.GetAsync(fixture);
        await Gate.WaitAsync();
        try
        {
            if (_second is not { } b || await Backend.GetAsync(b) is not { Status: SessionStatus.Running })
            {
                b = fixture.NewName("sync-b");
                if (await Backend.GetAsync(b) is null)
                {
                    await Backend.CreateAsync(fixture.Spec(b));
                }
                else
                {
                    await Backend.StartAsync(b);
                }

                _second = b;
            }

            return (a, b);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The Podman container the test server runs the session's agent pod in.</summary>
    private static async Task<string> AgentContainerAsync(SessionName session)
    {
        var ids = await PodmanAsync(null, "ps", "-q", "--filter", $"label=paude.kubetest.pod={KubeServerFixture.Namespace}/paude-{session.Value}-0");
        return Assert.Single(ids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static async Task<string> PodmanAsync(byte[]? stdin, params string[] args) =>
        (await ProcessRunner.RunAsync("podman", args, stdin is null ? null : new MemoryStream(stdin))).EnsureSuccess("podman " + args[0]).StandardOutput;

    private static byte[] HostileArchive(string kind)
    {
        var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            writer.WriteEntry(kind == "dotdot"
                ? new PaxTarEntry(TarEntryType.RegularFile, "../x") { DataStream = new MemoryStream("owned\n"u8.ToArray()) }
                : new PaxTarEntry(TarEntryType.SymbolicLink, "f.txt") { LinkName = "/etc/passwd" });
        }

        return output.ToArray();
    }
}
