namespace Paude.Cli.Tests.Infrastructure;

/// <summary>
/// One running session shared by the tests of the "podman" collection (creating a session costs seconds), made and
/// removed through the CLI itself. Disposal also deletes every other session of this run that a failed test left.
/// </summary>
public sealed class SharedSessionFixture : IAsyncLifetime
{
    /// <summary>A stand-in agent: no real Claude can run here.</summary>
    public const string StandInAgent = "bash -c 'echo agent ready; exec sleep infinity'";

    public string Name { get; } = TestRun.NewSessionName("shared");

    public string Workspace { get; } = TestRun.NewGitWorkspace("shared");

    public async Task InitializeAsync()
    {
        var run = await PaudeCli.RunAsync("create", Name, "--workspace", Workspace, "--agent-command", StandInAgent, "--allowed-domains", "default");
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"creating the shared session failed: {run}");
        }
    }

    public async Task DisposeAsync()
    {
        await DeleteAllOfThisRunAsync();
        Directory.Delete(Workspace, recursive: true);
    }

    /// <summary>Deletes every session whose name starts with this run's prefix.</summary>
    public static async Task DeleteAllOfThisRunAsync()
    {
        var list = await PaudeCli.RunAsync("list", "--output", "json");
        if (list.ExitCode != 0)
        {
            return;
        }

        foreach (var session in list.Json().GetProperty("sessions").EnumerateArray())
        {
            var name = session.GetProperty("name").GetString()!;
            if (name.StartsWith(TestRun.Prefix, StringComparison.Ordinal))
            {
                await PaudeCli.RunAsync("delete", name);
            }
        }
    }
}

/// <summary>The tests that drive real Podman sessions; they run one after another (2 shared cores).</summary>
[CollectionDefinition("podman")]
public sealed class PodmanSessions : ICollectionFixture<SharedSessionFixture>;
