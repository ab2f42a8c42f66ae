using System.Diagnostics;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;
using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// The real Claude Code (the pinned binary in the agent image) in a real Podman session, against the test's
/// scripted Messages API stand-in, reached only through the session's proxy by a name on the allow-list.
/// </summary>
[Collection("claude-code")]
public sealed class ClaudeCodeEndToEndTests(ClaudeCodeFixture fixture, ITestOutputHelper output)
{
    private SessionSpec Spec(SessionName name, string workspace, SessionAgent agent, bool headless) => new()
    {
        Name = name,
        Workspace = workspace,
        AgentImage = fixture.AgentImage,
        Agent = agent,
        Headless = headless,
        Egress = EgressPolicy.Parse([ClaudeCodeFixture.ApiHost]),
        Credentials = ["claude"],
        Environment = new Dictionary<string, string>
        {
            ["ANTHROPIC_BASE_URL"] = $"http://{ClaudeCodeFixture.ApiHost}",
            ["GIT_AUTHOR_NAME"] = "Claude Code",
            ["GIT_AUTHOR_EMAIL"] = "agent@paude.invalid",
            ["GIT_COMMITTER_NAME"] = "Claude Code",
            ["GIT_COMMITTER_EMAIL"] = "agent@paude.invalid",
        },
    };

    private async Task<string> PaneAsync(SessionName name) =>
        (await fixture.Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", "paude"])).StandardOutput;

    [Fact]
    public async Task ClaudeCodeWritesAndCommitsThroughTheProxyWithTheDeliveredKeyAndTheCommitSyncsBack()
    {
        var name = fixture.NewName("e2e");
        using var local = await LocalRepo.CreateAsync();
        var baseCommit = await local.CommitAsync("README.md", "# e2e\n", "Initial commit");
        // Not headless: the agent starts only once the repository is in the session (what `paude connect` does).
        await fixture.Backend.CreateAsync(Spec(name, local.Path, SessionAgent.Claude("-p", "Write hello.txt and commit it."), headless: false));
        try
        {
            await fixture.Sync.SyncAsync(name, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Branch });
            var started = await fixture.Backend.ExecAsync(name, ["paude-start-session"]);
            Assert.True(started.ExitCode == 0, started.StandardError);

            string pane;
            try
            {
                pane = await Eventually.UntilAsync(() => PaneAsync(name), p => p.Contains("agent 'paude-agent-claude' exited with code", StringComparison.Ordinal), "Claude Code finished", TimeSpan.FromMinutes(4));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\nstand-in log:\n{fixture.StandIn.Describe()}", e);
            }

            output.WriteLine(pane);
            output.WriteLine(fixture.StandIn.Describe());
            Assert.Contains("exited with code 0", pane, StringComparison.Ordinal);

            // The scripted model made the agent use its tools: the file and the commit are in the session...
            var result = await fixture.Sync.SyncAsync(name, local.Path, new SyncOptions { Direction = SyncDirection.FromSession, Strategy = SyncStrategy.Branch });
            Assert.Equal(1, result.CommitsTransferred);
            // ...and came back onto paude/<session>, on top of ours, the current branch untouched.
            var branch = $"paude/{name.Value}";
            Assert.Equal(ClaudeCodeScript.CommitMessage, await local.GitAsync("log", "-1", "--format=%s", branch));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", branch + "~1"));
            Assert.Equal(ClaudeCodeScript.FileContent.TrimEnd('\n'), await local.GitAsync("show", $"{branch}:{ClaudeCodeScript.FileName}"));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", "HEAD"));

            // The stand-in saw the whole agent loop, every model call authenticated with the delivered key, all by
            // the allowed name (through the proxy), and the skill delivered with the credentials in the prompt.
            var requests = fixture.StandIn.Requests;
            var messages = requests.Where(r => r.IsMessages).ToList();
            Assert.True(messages.Count(r => r.Body.Contains("\"tool_result\"", StringComparison.Ordinal)) >= 2, fixture.StandIn.Describe());
            Assert.All(messages, r => Assert.Equal(fixture.ApiKey, r.ApiKey));
            Assert.All(requests, r => Assert.Equal(ClaudeCodeFixture.ApiHost, r.Host.Split(':')[0]));
            Assert.Contains(messages, r => r.Body.Contains(fixture.SkillName, StringComparison.Ordinal));

            // A name not on the allow-list is refused by the proxy and never reaches the stand-in.
            var before = requests.Count;
            var denied = await fixture.Backend.ExecAsync(name, ["bash", "-c", $"curl -s -o /dev/null -w '%{{http_code}}' -m 20 -x \"$HTTP_PROXY\" http://{ClaudeCodeFixture.DeniedHost}/v1/messages"]);
            Assert.Equal("403", denied.StandardOutput.Trim());
            Assert.Equal(before, fixture.StandIn.Requests.Count);

            // The key stayed in the memory-backed credentials: nothing on the workspace volume holds it.
            var onVolume = await fixture.Backend.ExecAsync(name, ["grep", "-rqF", fixture.ApiKey, "/pvc"]);
            Assert.Equal(1, onVolume.ExitCode);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
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
            var before = System.Text.Json.Nodes.JsonNode.Parse((await fixture.Backend.ExecAsync(name, ["bash", "-c", "cat \"$HOME/.claude.json\""])).StandardOutput)!;

            await fixture.Backend.StopAsync(name);
            await fixture.Backend.StartAsync(name);
            await Eventually.UntilAsync(() => PaneAsync(name), p => p.Contains("bypass permissions on", StringComparison.Ordinal), "Claude Code's prompt after start", TimeSpan.FromMinutes(2));

            // Claude Code's own state (first start, start count) is the same file, not a fresh seed. It may count the
            // start a moment after drawing its prompt (seen once Start returned sooner), so the count is waited for.
            var after = await Eventually.UntilAsync(
                async () => System.Text.Json.Nodes.JsonNode.Parse((await fixture.Backend.ExecAsync(name, ["bash", "-c", "cat \"$HOME/.claude.json\""])).StandardOutput)!,
                a => a["numStartups"]?.GetValue<int>() > before["numStartups"]!.GetValue<int>(),
                "Claude Code's start count to go up",
                TimeSpan.FromSeconds(30));
            Assert.Equal(before["firstStartTime"]!.GetValue<string>(), after["firstStartTime"]!.GetValue<string>());
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
