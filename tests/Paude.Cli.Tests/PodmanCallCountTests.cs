using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary>
/// The hot commands start as few podman processes as the work needs (each costs ~0.05-0.1 s of CPU): counted through
/// a logging wrapper in PAUDE_PODMAN_PATH around the real podman, on the CLI process the tests run (PAUDE_CLI_BIN).
/// </summary>
[Collection("podman")]
public sealed class PodmanCallCountTests(SharedSessionFixture shared) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-cli-podman-calls-").FullName;

    [Fact]
    public async Task Exec_is_one_podman_exec()
    {
        Assert.Equal(["exec"], await CallsAsync(0, "exec", shared.Name, "--", "true"));
    }

    [Fact]
    public async Task Status_is_one_podman_ps()
    {
        Assert.Equal(["ps"], await CallsAsync(0, "status", shared.Name));
    }

    [Fact]
    public async Task List_is_containers_and_volumes()
    {
        // Volumes too: a session whose containers are gone is still listed through its workspace volume (OrphanedSessionTests).
        Assert.Equal(["ps", "volume ls"], (await CallsAsync(0, "list")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Help_and_a_missing_session_name_start_no_podman()
    {
        Assert.Empty(await CallsAsync(0, "--help"));
        Assert.Empty(await CallsAsync(2, "status", "Not A Name"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string[]> CallsAsync(int exitCode, params string[] args)
    {
        var log = Path.Combine(_dir, $"calls-{Guid.NewGuid():N}.log");
        var wrapper = Path.Combine(_dir, "podman");
        var podman = TestRun.Run("sh", "-c", "command -v podman").Trim();
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{log}'\nexec '{podman}' \"$@\"\n");
        TestRun.Run("chmod", "700", wrapper);

        var run = await PaudeCli.RunProcessAsync(null, new Dictionary<string, string> { ["PAUDE_PODMAN_PATH"] = wrapper }, args);

        Assert.True(run.ExitCode == exitCode, run.ToString());
        return File.Exists(log)
            ? [.. (await File.ReadAllLinesAsync(log)).Select(line => line.StartsWith("ps ", StringComparison.Ordinal) ? "ps" : string.Join(' ', line.Split(' ').Take(2)))
                .Select(call => call.StartsWith("exec ", StringComparison.Ordinal) ? "exec" : call)]
            : [];
    }
}
