namespace Paude.Tests.Infrastructure;

/// <summary>Read-only podman queries the tests use to check what the server made (and removed).</summary>
public static class Podman
{
    public static async Task<string> RunAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("podman", args)).StandardOutput;

    public static async Task<string[]> LinesAsync(params string[] args) =>
        (await RunAsync(args)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
