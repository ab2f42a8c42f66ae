using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Paude.Tests.Backend.Scripts;

/// <summary>
/// The Podman backend's session scripts (<c>Backend/Scripts/*.sh</c>) run directly on the host (no container), each
/// with the shell that runs it in the session, covering the protocol in its header: the exec killer, the proxy
/// reload, the two readiness waits and the upload extractor (real tar).
/// </summary>
public sealed class PodmanScriptTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("paude-podman-script-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task KillByExecIdKillsOnlyTheProcessesCarryingTheId()
    {
        var id = Guid.NewGuid().ToString();
        using var target = Sleeper(id);
        using var other = Sleeper(Guid.NewGuid().ToString());

        var outcome = await ProcessRunner.RunAsync("sh", [Script("kill-by-exec-id.sh"), id]);

        Assert.Equal(0, outcome.ExitCode);
        Assert.True(target.WaitForExit(TimeSpan.FromSeconds(10)), "the process carrying the id was not killed");
        Assert.False(other.HasExited, "a process of another exec was killed");
        other.Kill();
    }

    [Fact]
    public async Task KillByExecIdTakesTheIdAsTextNeverAsAPatternOrCode()
    {
        // In a PID namespace of its own (with its own /proc): a script that took '.*' as a pattern would otherwise
        // kill the exec processes of every session on this machine.
        var marker = Path.Combine(_root, "pwned");
        const string Probe = """
            PAUDE_EXEC_ID=other-exec sleep 60 &
            sh "$1" '.*'
            sh "$1" "$2"
            sleep 0.5
            if kill -0 "$!" 2>/dev/null; then echo alive; kill "$!"; else echo killed; fi
            """;

        var outcome = await ProcessRunner.RunAsync("unshare", ["-Urpf", "--mount-proc", "sh", "-c", Probe, "sh", Script("kill-by-exec-id.sh"), $"$(touch {marker})"], stdin: null, workingDirectory: _root);

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal("alive", outcome.StandardOutput.Trim());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task ReloadProxySendsHupToThePidInTheFile()
    {
        // perl sets its own SIGHUP handler: a test host started under nohup passes SIGHUP on as ignored, and a shell
        // cannot undo that (POSIX), so a plain `sleep` would never see the signal there.
        // It says "ready" once the handler is set: a HUP sent before that (a slow start under load) was ignored.
        using var squid = Process.Start(new ProcessStartInfo("perl", ["-e", "$SIG{HUP} = sub { exit 129 }; $| = 1; print qq(ready\n); sleep 60"])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
            })
            ?? throw new InvalidOperationException("could not start perl");
        Assert.Equal("ready", await squid.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        var pidFile = Path.Combine(_root, "squid.pid");
        await File.WriteAllTextAsync(pidFile, squid.Id.ToString(CultureInfo.InvariantCulture) + "\n");

        var outcome = await ProcessRunner.RunAsync("sh", [Script("reload-proxy.sh"), pidFile]);

        Assert.Equal(0, outcome.ExitCode);
        Assert.True(squid.WaitForExit(TimeSpan.FromSeconds(10)), "sleep did not get the SIGHUP");
        Assert.Equal(128 + 1, squid.ExitCode);
    }

    [Fact]
    public async Task ReloadProxyFailsWithoutAPidFile()
    {
        var outcome = await ProcessRunner.RunAsync("sh", [Script("reload-proxy.sh"), Path.Combine(_root, "missing.pid")]);

        Assert.NotEqual(0, outcome.ExitCode);
    }

    [Fact]
    public async Task WaitProxyListeningReturns0OnceThePortAccepts()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        var outcome = await ProcessRunner.RunAsync("bash", [Script("wait-proxy-listening.sh"), Port(listener)], writeStdin: null, timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public async Task WaitBridgeListeningReturns0WithTheSocketAndTheListener()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var socketPath = Path.Combine(_root, "proxy.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));

        var outcome = await ProcessRunner.RunAsync("bash", [Script("wait-bridge-listening.sh"), socketPath, Port(listener)], writeStdin: null, timeout: TimeSpan.FromSeconds(30));

        Assert.Equal(0, outcome.ExitCode);
    }

    [Fact]
    public async Task UploadExtractCreatesAHostileFolderAndExtractsIntoIt()
    {
        var source = Directory.CreateDirectory(Path.Combine(_root, "source")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "a b"), "spaced");
        var archive = await ProcessRunner.RunBinaryAsync("tar", ["-C", source, "-cf", "-", "--", "a b"]);
        var target = Path.Combine(_root, "-x y\nz", "deep");

        var outcome = await ProcessRunner.RunAsync("sh", [Script("upload-extract.sh"), target], new MemoryStream(archive.ToArray()));

        Assert.True(outcome.ExitCode == 0, outcome.StandardError);
        Assert.Equal("spaced", await File.ReadAllTextAsync(Path.Combine(target, "a b")));
    }

    // The file itself, run as `sh FILE ARG...`: SessionScript.Load sends it without its leading comment block.
    private static string Script(string name) =>
        Path.Combine(RepositoryRoot.Path, "src", "Paude.Backends.Podman", "Backend", "Scripts", name);

    private static string Port(TcpListener listener) =>
        ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);

    // A process with PAUDE_EXEC_ID in its environment, as podman exec -e gives every process of one exec. exec: the
    // pid is sleep's own, so a signal reaches sleep.
    private static Process Sleeper(string execId)
    {
        var info = new ProcessStartInfo("sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec sleep 60");
        info.Environment["PAUDE_EXEC_ID"] = execId;
        return Process.Start(info) ?? throw new InvalidOperationException("could not start sleep");
    }
}
