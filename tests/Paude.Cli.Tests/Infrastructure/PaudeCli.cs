using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.Podman;
using Paude.Cli.Commands;
using Paude.Cli.Hosting;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>The outcome of one CLI invocation.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json() => JsonDocument.Parse(Stdout).RootElement.Clone();

    public JsonElement ErrorJson() => JsonDocument.Parse(Stderr).RootElement.Clone();

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the real <c>paude</c> CLI: in-process through its entry point, or as a separate process.</summary>
internal static class PaudeCli
{
    /// <summary>The built CLI (copied next to the tests by the project reference); runs in-process and as <c>dotnet paude.dll</c>.</summary>
    public static string AssemblyPath { get; } = Path.Combine(AppContext.BaseDirectory, "paude.dll");

    /// <summary>
    /// Another build of the CLI for the process tests, e.g. the NativeAOT binary from <c>samples/Paude.Cli/build.sh</c>
    /// (<c>PAUDE_CLI_BIN</c>); without it the process tests run <c>dotnet paude.dll</c>.
    /// </summary>
    public static string? NativePath { get; } = FindNative();

    /// <summary>What a process test starts: the native binary, else <c>dotnet</c>.</summary>
    public static string FileName => NativePath ?? "dotnet";

    /// <summary>The arguments before the CLI's own: none for the native binary, the dll for <c>dotnet</c>.</summary>
    public static string[] LeadingArguments => NativePath is null ? [AssemblyPath] : [];

    /// <summary>The CLI as one path for scripts (<c>PAUDE_CLI</c>): the native binary or the dll.</summary>
    public static string ScriptPath => NativePath ?? AssemblyPath;

    /// <summary>The CLI as a shell command prefix (quoted), e.g. for <c>script -c</c>.</summary>
    public static string ShellPrefix => string.Join(' ', ((string[])[FileName, .. LeadingArguments]).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));

    /// <summary>A start info for <c>paude args...</c> as its own process.</summary>
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo(FileName) { UseShellExecute = false };
        foreach (var arg in (string[])[.. LeadingArguments, .. args])
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static string? FindNative()
    {
        var path = Environment.GetEnvironmentVariable("PAUDE_CLI_BIN");
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        return File.Exists(path) ? Path.GetFullPath(path) : throw new InvalidOperationException($"PAUDE_CLI_BIN={path}: no such file");
    }

    public static async Task<CliRun> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public static async Task<CliRun> RunWithInputAsync(byte[]? stdin, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var input = stdin is null ? null : new MemoryStream(stdin);
        var console = new CliConsole(stdout, stderr, input ?? Stream.Null, isInputRedirected: input is not null, isErrorTerminal: false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var code = await PaudeCommandLine.InvokeAsync(args, console, LabelResources, cancellationToken: timeout.Token);
        return new CliRun(code, Encoding.UTF8.GetString(stdout.ToArray()), Encoding.UTF8.GetString(stderr.ToArray()));
    }

    /// <summary>Every Podman resource a test creates carries <c>paude.test=&lt;run id&gt;</c>, so cleanup finds exactly ours.</summary>
    private static void LabelResources(IServiceCollection services) =>
        services.Configure<PodmanBackendOptions>("podman", o => o.ExtraLabels["paude.test"] = TestRun.Id);

    /// <summary>Runs <c>paude args...</c> (<see cref="StartInfo"/>) as its own process (real exit code, real stdio pipes).</summary>
    public static Task<CliRun> RunProcessAsync(string? stdin, params string[] args) => RunProcessAsync(stdin, new Dictionary<string, string>(), args);

    /// <summary>Runs <c>paude args...</c> with extra environment variables.</summary>
    public static async Task<CliRun> RunProcessAsync(string? stdin, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = StartInfo(args);
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
        start.Environment["PAUDE_EXTRA_LABELS"] = $"paude.test={TestRun.Id}";

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return await RunAsync(start, stdin);
    }

    public static async Task<CliRun> RunAsync(ProcessStartInfo start, string? stdin, TimeSpan? timeout = null)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish in time:\n{await stdout}\n{await stderr}");
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
