using System.Diagnostics;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>
/// <c>paude-test-server</c> (samples/Paude.TestServer) running as its own process, as a person starts it: the
/// kubeconfig path, namespace and server id are read from what it prints. Disposing interrupts it if still running.
/// </summary>
internal sealed class TestServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _rest;

    private TestServerProcess(Process process, string kubeconfig, string ns, string serverId, string banner)
    {
        _process = process;
        KubeconfigPath = kubeconfig;
        Namespace = ns;
        ServerId = serverId;
        Banner = banner;
        _rest = process.StandardOutput.ReadToEndAsync();
    }

    public static string AssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "paude-test-server.dll");

    public string KubeconfigPath { get; }

    public string Namespace { get; }

    public string ServerId { get; }

    public string Banner { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the server and waits (bounded) until it prints where it is.</summary>
    public static async Task<TestServerProcess> StartAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])[AssemblyPath, "--label", $"paude.test={TestRun.Id}", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start paude-test-server");
        var banner = new System.Text.StringBuilder();
        string? kubeconfig = null, ns = null, id = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (!timeout.IsCancellationRequested && (kubeconfig is null || ns is null || id is null || !banner.ToString().Contains("Ctrl+C", StringComparison.Ordinal)))
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            if (line is null)
            {
                throw new InvalidOperationException($"paude-test-server ended early:\n{banner}\n{await process.StandardError.ReadToEndAsync()}");
            }

            banner.AppendLine(line);
            kubeconfig ??= Value(line, "kubeconfig: ");
            ns ??= Value(line, "namespace: ");
            id ??= Value(line, "server-id: ");
        }

        return new TestServerProcess(process, kubeconfig!, ns!, id!, banner.ToString());
    }

    /// <summary>Sends SIGINT (Ctrl+C) and waits for the exit; returns the exit code and the rest of stdout.</summary>
    public async Task<(int ExitCode, string Output)> InterruptAsync()
    {
        TestRun.Interrupt(_process.Id);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await _process.WaitForExitAsync(timeout.Token);
        return (_process.ExitCode, await _rest);
    }

    /// <summary>Every Podman container, volume and network the server made that is still there.</summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync()
    {
        var filter = $"label=paude.kubetest={ServerId}";
        return
        [
            .. await Podman.LinesAsync("ps", "-a", "--filter", filter, "--format", "container {{.Names}}"),
            .. await Podman.LinesAsync("volume", "ls", "--filter", filter, "--format", "volume {{.Name}}"),
            .. await Podman.LinesAsync("network", "ls", "--filter", filter, "--format", "network {{.Name}}"),
        ];
    }

    /// <summary>Runs the real kubectl against this server; returns the whole outcome.</summary>
    public Task<CliRun> KubectlAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl");
        foreach (var arg in (string[])["--kubeconfig", KubeconfigPath, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        return PaudeCli.RunAsync(start, stdin, TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Stops a server still running the way a person's Ctrl+C or a service manager would (SIGTERM), so it removes
    /// what it made; a kill skips that (every test that ended without <see cref="InterruptAsync"/> leaked the server's
    /// network). Only a server that does not end within a minute is killed, and what it left is removed by its label.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // Its exit code is not checked: the server may have ended by itself meanwhile.
            await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
                await RemoveLeftoversAsync();
            }
        }

        _process.Dispose();
    }

    private async Task RemoveLeftoversAsync()
    {
        var filter = $"label=paude.kubetest={ServerId}";
        var containers = await Podman.LinesAsync("ps", "-a", "-q", "--filter", filter);
        if (containers.Length > 0)
        {
            await Podman.RunAsync(["rm", "--force", "--time", "0", .. containers]);
        }

        var volumes = await Podman.LinesAsync("volume", "ls", "-q", "--filter", filter);
        if (volumes.Length > 0)
        {
            await Podman.RunAsync(["volume", "rm", "--force", .. volumes]);
        }

        await Podman.RunAsync("network", "rm", "--force", $"kt-{ServerId}");
    }

    private static string? Value(string line, string prefix) =>
        line.StartsWith(prefix, StringComparison.Ordinal) ? line[prefix.Length..].Trim() : null;
}
