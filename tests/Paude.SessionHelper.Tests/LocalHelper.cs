using System.Diagnostics;
using System.Reflection;
using Paude.Sync.Continuous.Helper;

namespace Paude.SessionHelper.Tests;

/// <summary>Starts a helper (the real one or a hostile script) as a local child process and connects the host's client to it.</summary>
internal sealed class LocalHelper : IAsyncDisposable
{
    private readonly Process _process;

    private LocalHelper(Process process) => _process = process;

    /// <summary>The helper binary under test: $PAUDE_SESSION_HELPER (a NativeAOT build) or this build's apphost.</summary>
    public static string BinaryPath =>
        Environment.GetEnvironmentVariable("PAUDE_SESSION_HELPER") is { Length: > 0 } published ? published
        : typeof(LocalHelper).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "SessionHelperBuildOutput").Value!;

    public static Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _ = p.StandardError.BaseStream.CopyToAsync(Stream.Null);
        return p;
    }

    public static async Task<HelperClient> ConnectAsync(string root, HelperConnectionOptions? options = null, string? program = null, params string[] args)
    {
        options ??= new HelperConnectionOptions { ReplyTimeout = TimeSpan.FromSeconds(10) };
        var process = Start(program ?? BinaryPath, args);
        var owner = new LocalHelper(process);
        var connection = await HelperConnection.OpenAsync(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, root, owner, options, CancellationToken.None);
        return new HelperClient(connection, options);
    }

    public static Task<HelperClient> ConnectHostileAsync(string root, string scenario, TimeSpan? timeout = null) =>
        ConnectAsync(root, new HelperConnectionOptions { ReplyTimeout = timeout ?? TimeSpan.FromSeconds(3) }, "perl",
            Path.Combine(AppContext.BaseDirectory, "hostile-helper.pl"), scenario);

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
