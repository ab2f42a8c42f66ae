using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary><c>paude delete</c> never drops work the session holds that was never synced back, unless --force.</summary>
[Collection("podman")]
public sealed class DeleteUnsyncedWorkTests : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("unsynced");
    private readonly string _workspace = TestRun.NewGitWorkspace("unsynced");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PaudeCli.RunAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Delete_refuses_naming_the_unsynced_commit_and_file_and_force_deletes()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.True(created.ExitCode == 0, created.ToString());
        var work = await PaudeCli.RunProcessAsync(null, "exec", _name, "--", "bash", "-c",
            "mkdir -p /pvc/workspace && cd /pvc/workspace && git init -q -b main && echo x > f.txt && git add f.txt && git -c user.name=A -c user.email=a@b commit -qm 'agent work never synced' && echo y > notes.txt");
        Assert.True(work.ExitCode == 0, work.ToString());

        var refused = await PaudeCli.RunAsync("delete", _name);

        Assert.Equal(9, refused.ExitCode);
        Assert.Contains("agent work never synced", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("notes.txt", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await PaudeCli.RunAsync("status", _name)).ExitCode);

        var forced = await PaudeCli.RunAsync("delete", _name, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(3, (await PaudeCli.RunAsync("status", _name)).ExitCode);
    }
}
