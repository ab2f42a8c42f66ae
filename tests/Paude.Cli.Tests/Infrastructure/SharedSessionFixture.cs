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

    /// <summary>Deletes every session of this run: named with its prefix or labelled with its id.</summary>
    public static async Task DeleteAllOfThisRunAsync()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var list = await PaudeCli.RunAsync("list", "--output", "json");
        if (list.ExitCode == 0)
        {
            names.UnionWith(list.Json().GetProperty("sessions").EnumerateArray()
                .Select(s => s.GetProperty("name").GetString()!)
                .Where(n => n.StartsWith(TestRun.Prefix, StringComparison.Ordinal)));
        }

        names.UnionWith(TestRun.Run("podman", "ps", "-a", "--filter", $"label=paude.test={TestRun.Id}", "--format", "{{index .Labels \"paude.io/session-name\"}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var name in names)
        {
            await PaudeCli.RunAsync("delete", name, "--force");
        }
    }
}

/// <summary>The tests that drive real Podman sessions; they run one after another (2 shared cores).</summary>
[CollectionDefinition("podman")]
public sealed class PodmanSessions : ICollectionFixture<SharedSessionFixture>;
