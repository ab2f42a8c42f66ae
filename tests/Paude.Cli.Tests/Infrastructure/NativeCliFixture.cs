using System.Diagnostics;

namespace Paude.Cli.Tests.Infrastructure;

/// <summary>
/// The CLI users get: samples/Paude.Cli/build.sh's NativeAOT <c>paude</c> with the managed build in <c>managed/</c>
/// beside it. <c>PAUDE_CLI_BIN</c> when it names that binary (scripts/test.sh sets it), else build.sh is run here
/// (cached by its inputs: instant when unchanged, minutes on a fresh machine).
/// </summary>
public sealed class NativeCliFixture : IAsyncLifetime
{
    public string Binary { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (PaudeCli.NativePath is { } native && File.Exists(Path.Combine(Path.GetDirectoryName(native)!, "managed", "paude")))
        {
            Binary = native;
            return;
        }

        var built = await ProcessRunner.RunAsync("bash", [Path.Combine(RepositoryRoot.Path, "samples", "Paude.Cli", "build.sh")], writeStdin: null, timeout: TimeSpan.FromMinutes(45));
        Binary = built.EnsureSuccess("samples/Paude.Cli/build.sh").StandardOutput.Trim();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Runs the native binary with <paramref name="environment"/> added to this process's.</summary>
    internal Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(Binary);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return PaudeCli.RunAsync(start, stdin: null);
    }
}
