using System.Text.Json.Nodes;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;
using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// Claude Code's own state lives on the workspace volume (<c>CLAUDE_CONFIG_DIR=/pvc/.agent/claude</c>), so it
/// survives the agent container being removed and re-created from the volume, while the delivered credentials
/// stay in the memory-backed <c>/credentials</c> and are only linked from there.
/// </summary>
[Collection("claude-code")]
public sealed class ClaudeCodeStateTests(ClaudeCodeFixture fixture, ITestOutputHelper output)
{
    private const string Prompt = "bypass permissions on";

    private async Task<string> ShAsync(SessionName name, string script)
    {
        var result = await fixture.Backend.ExecAsync(name, ["bash", "-c", script]);
        Assert.True(result.ExitCode == 0, $"{script}: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    private Task<string> WaitForPromptAsync(SessionName name, string what) =>
        Eventually.UntilAsync(
            async () => (await fixture.Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-t", "paude"])).StandardOutput,
            p => p.Contains(Prompt, StringComparison.Ordinal),
            what,
            TimeSpan.FromMinutes(2));

    [Fact]
    public async Task ClaudeCodesStateSurvivesReCreationOfTheAgentContainerWhileCredentialsStayInMemory()
    {
        var name = fixture.NewName("recreate");
        using var local = await LocalRepo.CreateAsync();
        await fixture.Backend.CreateAsync(new SessionSpec
        {
            Name = name,
            Workspace = local.Path,
            AgentImage = fixture.AgentImage,
            Agent = SessionAgent.Claude(),
            Egress = EgressPolicy.Parse([ClaudeCodeFixture.ApiHost]),
            Credentials = ["claude"],
            Environment = new Dictionary<string, string> { ["ANTHROPIC_BASE_URL"] = $"http://{ClaudeCodeFixture.ApiHost}" },
        });
        try
        {
            await WaitForPromptAsync(name, "Claude Code's prompt");
            var before = await Eventually.UntilAsync(
                async () => JsonNode.Parse(await ShAsync(name, "cat \"$HOME/.claude.json\""))!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state after its first start",
                TimeSpan.FromSeconds(30));
            // What a user does inside the session: a command of their own, prompt history. (Not a plugin: this fixture
            // delivers ~/.claude/plugins with the credentials, and a delivered folder is the memory-backed one.)
            await ShAsync(name, """
                mkdir -p ~/.claude/commands && echo '{"name":"own"}' > ~/.claude/commands/own.md
                echo '{"display":"earlier prompt","project":"/pvc/workspace"}' >> ~/.claude/history.jsonl
                """);

            // The agent container goes (as when the engine or a user removed it); start re-creates it from the volume.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name.Value}");
            await fixture.Backend.StartAsync(name);
            await WaitForPromptAsync(name, "Claude Code's prompt in the re-created container");

            // The same state file, not a fresh seed (which has no first start until Claude Code writes a new one).
            var after = await Eventually.UntilAsync(
                async () => JsonNode.Parse(await ShAsync(name, "cat \"$HOME/.claude.json\""))!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state in the re-created container",
                TimeSpan.FromSeconds(30));
            output.WriteLine(after.ToJsonString());
            Assert.Equal(before["firstStartTime"]!.GetValue<string>(), after["firstStartTime"]!.GetValue<string>());
            Assert.Equal(before["userID"]!.GetValue<string>(), after["userID"]!.GetValue<string>());
            Assert.Equal("{\"name\":\"own\"}", await ShAsync(name, "cat ~/.claude/commands/own.md"));
            Assert.Contains("earlier prompt", await ShAsync(name, "cat ~/.claude/history.jsonl"), StringComparison.Ordinal);

            // The delivered settings (with the key) are linked from the memory-backed folder again, and the key is on
            // no file of the volume (grep -r does not follow the links; exit 1 = no match).
            Assert.Equal("/credentials/claude/settings.json", await ShAsync(name, "test -f /credentials/.ready && readlink \"$CLAUDE_CONFIG_DIR/settings.json\""));
            var onVolume = await fixture.Backend.ExecAsync(name, ["grep", "-rqF", fixture.ApiKey, "/pvc"]);
            Assert.Equal(1, onVolume.ExitCode);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }
}
