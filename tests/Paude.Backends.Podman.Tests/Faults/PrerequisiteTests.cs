using Paude.Errors;
using Paude.Sessions;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Faults;

/// <summary>A missing or broken podman is reported as a clear, typed error naming the prerequisite.</summary>
public sealed class PrerequisiteTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("paude-fake-podman-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Podman_not_installed_is_BackendUnavailable_naming_podman()
    {
        var backend = PodmanPathBackend.Create(Path.Combine(_dir, "no-such-dir", "podman"));

        var create = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CreateAsync(Spec()));
        var list = await Assert.ThrowsAsync<BackendUnavailableException>(async () => await backend.ListAsync().ToListAsync());

        Assert.Equal("podman", create.Prerequisite);
        Assert.Contains("podman", create.Message, StringComparison.Ordinal);
        Assert.Equal("podman", list.Prerequisite);
    }

    [Fact]
    public async Task Podman_that_does_not_work_is_BackendUnavailable_with_its_error()
    {
        // A stand-in podman that fails every command, like a podman whose runtime or storage is broken.
        var fake = Path.Combine(_dir, "podman");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\necho 'Error: simulated: cannot set up storage' >&2\nexit 125\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0x1ED);
        var backend = PodmanPathBackend.Create(fake);

        var ex = await Assert.ThrowsAsync<BackendUnavailableException>(() => backend.CreateAsync(Spec()));

        Assert.Equal("podman", ex.Prerequisite);
        Assert.Contains("simulated: cannot set up storage", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Working_podman_is_never_asked_for_podman_info()
    {
        // 'podman info' costs ~0.4 s of CPU (it queries dpkg): a check that runs on every first call made every CLI
        // command slow. A stand-in that logs its arguments and hands them to the real podman shows what runs.
        var log = Path.Combine(_dir, "calls.log");
        var wrapper = Path.Combine(_dir, "podman");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\necho \"$*\" >> '{log}'\nexec podman \"$@\"\n");
        File.SetUnixFileMode(wrapper, (UnixFileMode)0x1ED);
        var backend = PodmanPathBackend.Create(wrapper);

        var missing = await backend.GetAsync(SessionName.Parse("prereq-never-created"));
        _ = await backend.ListAsync().ToListAsync();

        Assert.Null(missing);
        var calls = await File.ReadAllLinesAsync(log);
        Assert.Contains(calls, c => c.StartsWith("ps ", StringComparison.Ordinal));
        Assert.DoesNotContain(calls, c => c.StartsWith("info", StringComparison.Ordinal));
    }

    private static SessionSpec Spec() => new() { Name = SessionName.Parse("prereq-never-created"), AgentCommand = ["true"] };
}
