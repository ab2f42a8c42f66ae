using System.Formats.Tar;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Testing.InProcess;

namespace Paude.Tests.InProcess;

/// <summary>
/// What the in-process backend promises beyond the conformance suite: its registration, and that the file channel and
/// working directories stay inside the session's folder even when a process of the session plants links.
/// </summary>
public sealed class InProcessBackendTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("paude-inproc-").FullName;
    private readonly string _outside = Directory.CreateTempSubdirectory("paude-inproc-outside-").FullName;
    private readonly SessionName _name = SessionName.Parse("unit");
    private ServiceProvider _services = null!;
    private InProcessBackend _backend = null!;

    private string Workspace => Path.Combine(_backend.GetSessionFolder(_name), "workspace");

    public async Task InitializeAsync()
    {
        _services = Build(o => o.RootDirectory = _root);
        _backend = (InProcessBackend)_services.GetRequiredService<ISessionBackendProvider>().GetBackend("inprocess");
        await _backend.CreateAsync(new SessionSpec { Name = _name });
    }

    public async Task DisposeAsync()
    {
        await _backend.DeleteAsync(_name);
        await _services.DisposeAsync();
        Directory.Delete(_root, recursive: true);
        Directory.Delete(_outside, recursive: true);
    }

    [Fact]
    public async Task Registering_a_name_twice_keeps_one_backend_and_bad_options_are_listed_typed()
    {
        var services = new ServiceCollection();
        services.AddPaude().AddInProcessBackend("twice", o => o.RootDirectory = _root).AddInProcessBackend("twice", o => o.RootDirectory = "/elsewhere");
        Assert.Single(services, d => d.ServiceType == typeof(ISessionBackend) && Equals(d.ServiceKey, "twice"));

        await using var bad = Build(o => o.RootDirectory = "relative/folder");
        // The options validator answers first (as for the Podman backend), naming the backend and every problem.
        var error = Assert.Throws<OptionsValidationException>(() => bad.GetRequiredService<ISessionBackendProvider>().GetBackend("inprocess"));
        Assert.Equal(["In-process backend 'inprocess': RootDirectory: 'relative/folder' is not an absolute path"], error.Failures);
        Assert.False(Directory.Exists("relative"));
    }

    [Fact]
    public async Task Paths_outside_the_session_folder_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _backend.UploadAsync(_name, _outside, Tar(("a.txt", "a"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _backend.UploadAsync(_name, Workspace + "/../../elsewhere", Tar(("a.txt", "a"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _backend.UploadAsync(_name, "workspace", Tar(("a.txt", "a"))));
        await Assert.ThrowsAsync<ArgumentException>(() => _backend.ExecAsync(_name, new ProcessSpec(["pwd"]) { WorkingDirectory = _outside }, null));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_outside));
    }

    [Fact]
    public async Task A_link_planted_by_a_session_process_is_never_followed_out_of_the_folder()
    {
        // The process points a folder link and a file link at a folder outside the session.
        await File.WriteAllTextAsync(Path.Combine(_outside, "victim.txt"), "untouched");
        await _backend.ExecAsync(_name, ["bash", "-c", "ln -s \"$1\" escape && mkdir -p real && ln -s \"$1/victim.txt\" real/victim.txt", "_", _outside]);

        // Through the folder link: refused before anything is written.
        await Assert.ThrowsAsync<UnsafeContentException>(() => _backend.UploadAsync(_name, Path.Combine(Workspace, "escape"), Tar(("new.txt", "x"))));
        await Assert.ThrowsAsync<UnsafeContentException>(() => _backend.ExecAsync(_name, new ProcessSpec(["pwd"]) { WorkingDirectory = Path.Combine(Workspace, "escape") }, null));
        await Assert.ThrowsAsync<UnsafeContentException>(() => _backend.DownloadAsync(_name, Path.Combine(Workspace, "escape"), (_, _) => Task.CompletedTask));

        // Onto the file link: the link is replaced, the file it pointed at is not written through.
        await _backend.UploadAsync(_name, Workspace, Tar(("real/victim.txt", "replaced")));

        Assert.Equal("untouched", await File.ReadAllTextAsync(Path.Combine(_outside, "victim.txt")));
        Assert.Equal(["victim.txt"], Directory.EnumerateFileSystemEntries(_outside).Select(Path.GetFileName));
        var replaced = new FileInfo(Path.Combine(Workspace, "real", "victim.txt"));
        Assert.Null(replaced.LinkTarget);
        Assert.Equal("replaced", await File.ReadAllTextAsync(replaced.FullName));
    }

    [Fact]
    public async Task An_archive_entry_climbing_out_is_refused_and_nothing_changes()
    {
        await File.WriteAllTextAsync(Path.Combine(Workspace, "kept.txt"), "kept");

        await Assert.ThrowsAsync<UnsafeContentException>(() => _backend.UploadAsync(_name, Workspace, Tar(("ok.txt", "ok"), ("../../climb.txt", "out"))));

        Assert.Equal(["kept.txt"], Directory.EnumerateFileSystemEntries(Workspace).Select(Path.GetFileName));
        Assert.Equal(["home", "tmp", "workspace"], Directory.EnumerateFileSystemEntries(_backend.GetSessionFolder(_name)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(_root, "climb.txt")));
    }

    [Fact]
    public async Task Processes_see_the_session_environment_and_nothing_of_the_test_runner()
    {
        Environment.SetEnvironmentVariable("PAUDE_INPROC_RUNNER_SECRET", "must-not-leak");
        try
        {
            var env = await _backend.ExecAsync(_name, ["env"]);

            var lines = env.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.DoesNotContain(lines, l => l.StartsWith("PAUDE_INPROC_RUNNER_SECRET=", StringComparison.Ordinal));
            Assert.Contains($"PAUDE_WORKSPACE={Workspace}", lines);
            Assert.Contains($"HOME={Path.Combine(_backend.GetSessionFolder(_name), "home")}", lines);
            Assert.Equal(Workspace + "\n", (await _backend.ExecAsync(_name, ["pwd"])).StandardOutput);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PAUDE_INPROC_RUNNER_SECRET", null);
        }
    }

    [Fact]
    public async Task Stop_ends_the_session_processes_attach_is_not_supported_and_a_missing_program_exits_127()
    {
        var sleeper = await _backend.StartProcessAsync(_name, new ProcessSpec(["sleep", "300"]));
        await using (sleeper)
        {
            await _backend.StopAsync(_name);
            var exit = await sleeper.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotEqual(0, exit);
        }

        await Assert.ThrowsAsync<SessionNotRunningException>(() => _backend.ExecAsync(_name, ["true"]));
        await _backend.StartAsync(_name);
        using (var terminal = new StreamTerminal(new TerminalSize(80, 24)))
        {
            await Assert.ThrowsAsync<NotSupportedException>(() => _backend.AttachAsync(_name, terminal));
        }

        var missing = await _backend.ExecAsync(_name, ["no-such-program-paude"]);
        Assert.Equal(127, missing.ExitCode);
        Assert.Contains("no-such-program-paude", missing.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_racing_execs_and_disposals_leaves_no_process_of_the_session_running()
    {
        // A stop while new execs start and owners dispose running ones (a process forgets itself from its owner's
        // thread): every exec either started before the stop and was ended by it or was refused as not running, and
        // the stop neither fails nor misses a process.
        var running = new List<ISessionProcess>();
        for (var i = 0; i < 8; i++)
        {
            running.Add(await _backend.StartProcessAsync(_name, new ProcessSpec(["sleep", "300"])));
        }

        var kept = new System.Collections.Concurrent.ConcurrentBag<ISessionProcess>(running.Where((_, i) => i % 2 == 1));
        var refused = 0;
        using var go = new ManualResetEventSlim();
        var disposals = running.Where((_, i) => i % 2 == 0).Select(p => Task.Run(async () =>
        {
            go.Wait();
            await p.DisposeAsync();
        }));
        var execs = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            go.Wait();
            try
            {
                kept.Add(await _backend.StartProcessAsync(_name, new ProcessSpec(["sleep", "300"])));
            }
            catch (SessionNotRunningException)
            {
                Interlocked.Increment(ref refused);
            }
        }));
        var stop = Task.Run(async () =>
        {
            go.Wait();
            await _backend.StopAsync(_name);
        });

        go.Set();
        await Task.WhenAll([.. disposals, .. execs, stop]).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(4 + 8, kept.Count + refused);
        foreach (var process in kept)
        {
            await using (process)
            {
                var exit = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
                Assert.NotEqual(0, exit);
            }
        }

        Assert.Equal(SessionStatus.Stopped, (await _backend.GetAsync(_name))!.Status);
    }

    [Fact]
    public async Task Stop_kills_every_process_below_the_session_processes_even_one_that_keeps_starting_more()
    {
        // The trees of all the session's processes are killed together (one read of the process table for all): the
        // grandchildren as well, and the children a loop starts every 10 ms up to the moment it is stopped.
        var pids = Path.Combine(Workspace, "pids");
        var processes = new List<ISessionProcess>();
        for (var i = 0; i < 4; i++)
        {
            processes.Add(await _backend.StartProcessAsync(_name, new ProcessSpec(["bash", "-c", $"bash -c 'sleep 300 & echo $! >> \"$1\"; wait' x '{pids}' & echo $! >> '{pids}'; wait"])));
        }

        processes.Add(await _backend.StartProcessAsync(_name, new ProcessSpec(["bash", "-c", $"while :; do sleep 300 & echo $! >> '{pids}'; sleep 0.01; done"])));
        await Eventually.UntilAsync(() => Task.FromResult(File.Exists(pids) ? File.ReadAllLines(pids).Length : 0), n => n >= 12, "the trees started", TimeSpan.FromSeconds(30));

        await _backend.StopAsync(_name);

        foreach (var process in processes)
        {
            await using (process)
            {
                Assert.NotEqual(0, await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            }
        }

        var started = File.ReadAllLines(pids).Where(l => l.Length > 0).ToList();
        Assert.True(started.Count >= 12, $"{started.Count} pids");
        foreach (var pid in started)
        {
            await Eventually.UntilAsync(() => Task.FromResult(Running(pid)), running => !running, $"process {pid} gone", TimeSpan.FromSeconds(20));
        }
    }

    /// <summary>Whether the process lives (a zombie waiting for a reaper does not).</summary>
    private static bool Running(string pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Disposing_the_container_ends_the_agents_of_sessions_nobody_deleted()
    {
        var services = Build(o => { o.RootDirectory = _root; o.RunAgentCommand = true; }, "agents");
        var backend = (InProcessBackend)services.GetRequiredService<ISessionBackendProvider>().GetBackend("agents");
        var name = SessionName.Parse("forgotten");
        await backend.CreateAsync(new SessionSpec { Name = name, AgentCommand = ["bash", "-c", "echo $$ > \"$HOME/agent.pid\"; exec sleep 300"] });
        var pidFile = Path.Combine(backend.GetSessionFolder(name), "home", "agent.pid");
        var pid = await Eventually.UntilAsync(
            () => Task.FromResult(File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : string.Empty),
            p => p.Length > 0,
            "the agent's pid",
            TimeSpan.FromSeconds(20));
        Assert.True(Directory.Exists($"/proc/{pid}"));

        await services.DisposeAsync();

        await Eventually.UntilAsync(() => Task.FromResult(Directory.Exists($"/proc/{pid}")), alive => !alive, "the agent gone", TimeSpan.FromSeconds(20));
    }

    private static ServiceProvider Build(Action<InProcessBackendOptions> configure, string name = "inprocess")
    {
        var services = new ServiceCollection();
        services.AddPaude().AddInProcessBackend(name, configure);
        return services.BuildServiceProvider();
    }

    private static MemoryStream Tar(params (string Name, string Content)[] files)
    {
        var stream = new MemoryStream();
        using (var tar = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (name, content) in files)
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) });
            }
        }

        stream.Position = 0;
        return stream;
    }
}
