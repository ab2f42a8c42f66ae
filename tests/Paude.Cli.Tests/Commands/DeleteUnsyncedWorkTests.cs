using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude delete</c> never drops work the session holds that was never synced back, unless --force — on every
/// backend (the check runs through the backend's exec channel).
/// </summary>
public abstract class DeleteUnsyncedWorkTests : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("unsynced");
    private readonly string _workspace = TestRun.NewGitWorkspace("unsynced");

    /// <summary>Runs <c>paude</c> against the backend under test.</summary>
    private protected abstract Task<CliRun> PaudeAsync(params string[] args);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PaudeAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Delete_refuses_naming_the_unsynced_commit_and_file_and_force_deletes()
    {
        var created = await PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.True(created.ExitCode == 0, created.ToString());
        var work = await PaudeAsync("exec", _name, "--", "bash", "-c",
            "mkdir -p /pvc/workspace && cd /pvc/workspace && git init -q -b main && echo x > f.txt && git add f.txt && git -c user.name=A -c user.email=a@b commit -qm 'agent work never synced' && echo y > notes.txt");
        Assert.True(work.ExitCode == 0, work.ToString());

        var refused = await PaudeAsync("delete", _name);

        Assert.Equal(9, refused.ExitCode);
        Assert.Contains("agent work never synced", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("notes.txt", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await PaudeAsync("status", _name)).ExitCode);
        var kept = await PaudeAsync("exec", _name, "--", "cat", "/pvc/workspace/notes.txt");
        Assert.Equal((0, "y\n"), (kept.ExitCode, kept.Stdout));

        var forced = await PaudeAsync("delete", _name, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(3, (await PaudeAsync("status", _name)).ExitCode);
    }
}

/// <summary>On Podman.</summary>
[Collection("podman")]
public sealed class PodmanDeleteUnsyncedWorkTests : DeleteUnsyncedWorkTests
{
    private protected override Task<CliRun> PaudeAsync(params string[] args) =>
        args[0] == "exec" ? PaudeCli.RunProcessAsync(null, args) : PaudeCli.RunAsync(args);
}

/// <summary>On the openshift backend against the Kubernetes test server.</summary>
[Collection("openshift")]
public sealed class OpenShiftDeleteUnsyncedWorkTests(KubeServerFixture cluster) : DeleteUnsyncedWorkTests
{
    private protected override Task<CliRun> PaudeAsync(params string[] args) => cluster.PaudeAsync(args);
}
