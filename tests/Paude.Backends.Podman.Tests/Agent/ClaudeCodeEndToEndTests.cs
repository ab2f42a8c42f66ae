using System.Diagnostics;
using Paude.Execution;
using Paude.Sessions;
using Paude.TestSupport.Agent;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// The real Claude Code (the pinned binary in the agent image) in a real Podman session, against the test's
/// scripted Messages API stand-in, reached only through the session's proxy by a name on the allow-list. The
/// write-and-commit scenario is <see cref="ClaudeCodeScenarios.WritesAndCommitsThroughTheProxyAsync"/>, shared with
/// the OpenShift backend.
/// </summary>
[Collection("claude-code")]
public sealed class ClaudeCodeEndToEndTests(ClaudeCodeFixture fixture, ITestOutputHelper output)
{
    private SessionSpec Spec(SessionName name, string workspace, SessionAgent agent, bool headless) =>
        ClaudeCodeScenarios.Spec(name, workspace, agent, headless, fixture.AgentImage);

    private async Task<string> PaneAsync(SessionName name) =>
        (await fixture.Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", "paude"])).StandardOutput;

    [Fact]
    public async Task ClaudeCodeWritesAndCommitsThroughTheProxyWithTheDeliveredKeyAndTheCommitSyncsBack()
    {
        using var local = await LocalRepo.CreateAsync();
        await ClaudeCodeScenarios.WritesAndCommitsThroughTheProxyAsync(
            new ClaudeCodeRun(fixture.Backend, fixture.Sync, fixture.StandIn, fixture.NewName("e2e"), fixture.ApiKey, fixture.SkillName, fixture.Plugin, fixture.AgentImage),
            local,
            output.WriteLine);
    }

    [Fact]
    public async Task ConnectThroughTmuxShowsClaudeCodesScreenWithoutAnyDialog()
    {
        var name = fixture.NewName("tui");
        using var local = await LocalRepo.CreateAsync();
        var socket = $"paude-test-{fixture.RunId}";
        var watch = Stopwatch.StartNew();
        await fixture.Backend.CreateAsync(Spec(name, local.Path, SessionAgent.Claude(), headless: true));
        try
        {
            // What `paude connect` runs (podman exec -it <agent> paude-attach), in a terminal the test can read.
            await ProcessRunner.RunAsync("tmux", ["-L", socket, "new-session", "-d", "-s", "view", "-x", "200", "-y", "50", "podman", "exec", "-it", $"paude-{name.Value}", "paude-attach"]);
            var screen = await Eventually.UntilAsync(
                async () => (await ProcessRunner.RunAsync("tmux", ["-L", socket, "capture-pane", "-p", "-t", "view"])).StandardOutput,
                s => s.Contains("bypass permissions on", StringComparison.Ordinal),
                "Claude Code's prompt on the attached screen",
                TimeSpan.FromMinutes(2));
            output.WriteLine($"create -> Claude Code's prompt on the attached screen: {watch.Elapsed.TotalSeconds:F1} s");
            output.WriteLine(screen);
            Assert.Contains("Claude Code v", screen, StringComparison.Ordinal);
            Assert.Contains("/pvc/workspace", screen, StringComparison.Ordinal);
            Assert.DoesNotContain("trust", screen, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            await ProcessRunner.RunAsync("tmux", ["-L", socket, "kill-server"]);
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task ClaudeCodesStateSurvivesStopAndStartAndTheCredentialsAreDeliveredAgain()
    {
        var name = fixture.NewName("state");
        using var local = await LocalRepo.CreateAsync();
        await fixture.Backend.CreateAsync(Spec(name, local.Path, SessionAgent.Claude(), headless: true));
        try
        {
            await Eventually.UntilAsync(() => PaneAsync(name), p => p.Contains("bypass permissions on", StringComparison.Ordinal), "Claude Code's prompt", TimeSpan.FromMinutes(2));
            var before = await Eventually.UntilAsync(
                async () => System.Text.Json.Nodes.JsonNode.Parse((await fixture.Backend.ExecAsync(name, ["bash", "-c", "cat \"$HOME/.claude.json\""])).StandardOutput)!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state after its first start",
                TimeSpan.FromSeconds(30));

            await fixture.Backend.StopAsync(name);
            await fixture.Backend.StartAsync(name);
            await Eventually.UntilAsync(() => PaneAsync(name), p => p.Contains("bypass permissions on", StringComparison.Ordinal), "Claude Code's prompt after start", TimeSpan.FromMinutes(2));

            // Claude Code's own state is the same file, not a fresh seed: its first start is kept. (Not its start count:
            // measured, a restart within seconds of the stop sometimes leaves it as it was, the write then skipped.)
            var after = await Eventually.UntilAsync(
                async () => System.Text.Json.Nodes.JsonNode.Parse((await fixture.Backend.ExecAsync(name, ["bash", "-c", "cat \"$HOME/.claude.json\""])).StandardOutput)!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state after the start",
                TimeSpan.FromSeconds(30));
            Assert.Equal(before["firstStartTime"]!.GetValue<string>(), after["firstStartTime"]!.GetValue<string>());
            Assert.Equal(before["userID"]!.GetValue<string>(), after["userID"]!.GetValue<string>());
            // ...while the delivered settings (with the key) are linked from the memory-backed folder again.
            var link = await fixture.Backend.ExecAsync(name, ["bash", "-c", "readlink \"$HOME/.claude/settings.json\" && test -f /credentials/.ready"]);
            Assert.Equal("/credentials/claude/settings.json", link.StandardOutput.Trim());
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }
}
