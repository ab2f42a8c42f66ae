using System.Diagnostics;

namespace Paude.Tests.Infrastructure;

/// <summary>Read-only podman queries the tests use to check what the server made (and removed).</summary>
public static class Podman
{
    public static async Task<string> RunAsync(params string[] args)
    {
        var info = new ProcessStartInfo("podman") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return stdout;
    }

    public static async Task<string[]> LinesAsync(params string[] args) =>
        (await RunAsync(args)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
