using Paude.Egress;
using Paude.Sessions;
using Paude.TestSupport.Agent;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// Claude Code's own state lives on the workspace volume (<c>CLAUDE_CONFIG_DIR=/pvc/.agent/claude</c>), so it
/// survives the agent container being removed and re-created from the volume, while the delivered credentials
/// stay in the memory-backed <c>/credentials</c> and are only linked from there
/// (<see cref="ClaudeCodeScenarios.StateSurvivesReCreationAsync"/>, shared with the OpenShift backend).
/// </summary>
[Collection("claude-code")]
public sealed class ClaudeCodeStateTests(ClaudeCodeFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task ClaudeCodesStateSurvivesReCreationOfTheAgentContainerWhileCredentialsStayInMemory()
    {
        using var local = await LocalRepo.CreateAsync();
        var spec = new SessionSpec
        {
            Name = fixture.NewName("recreate"),
            Workspace = local.Path,
            AgentImage = fixture.AgentImage,
            Agent = SessionAgent.Claude(),
            Egress = EgressPolicy.Parse([ClaudeCodeFixture.ApiHost]),
            Credentials = ["claude"],
            Environment = new Dictionary<string, string> { ["ANTHROPIC_BASE_URL"] = $"http://{ClaudeCodeFixture.ApiHost}" },
        };

        // A command of the user's own (not a plugin: this fixture delivers ~/.claude/plugins with the credentials,
        // and a delivered folder is the memory-backed one). The agent container goes (as when the engine or a user
        // removed it); start re-creates it from the volume.
        await ClaudeCodeScenarios.StateSurvivesReCreationAsync(
            fixture.Backend,
            spec,
            fixture.ApiKey,
            "commands/own.md",
            async name =>
            {
                await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name.Value}");
                await fixture.Backend.StartAsync(name);
            },
            output.WriteLine);
    }
}
