using System.Text.Json.Nodes;
using Paude.Egress;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;
using Paude.TestSupport.StandInApi;
using Xunit;

namespace Paude.TestSupport.Agent;

/// <summary>
/// The real Claude Code scenarios every backend must pass, written once: each backend's test class supplies its
/// backend, its stand-in and how it re-creates the agent's container (Podman: <c>podman rm</c> + start; OpenShift:
/// delete the pod, the StatefulSet makes a new one) and runs the same body.
/// </summary>
public static class ClaudeCodeScenarios
{
    /// <summary>What Claude Code's first screen shows at its prompt when it runs in bypass-permissions mode.</summary>
    public const string Prompt = "bypass permissions on";

    private static readonly TimeSpan PromptBound = TimeSpan.FromMinutes(3);

    /// <summary>
    /// A session that runs Claude Code against the stand-in <see cref="NetworkedStandIn.ApiHost"/> (the only host on
    /// the allow-list) with the <c>claude</c> credentials and a git identity for the agent's commits.
    /// </summary>
    public static SessionSpec Spec(SessionName name, string workspace, SessionAgent agent, bool headless, string? agentImage = null) => new()
    {
        Name = name,
        Workspace = workspace,
        AgentImage = agentImage,
        Agent = agent,
        Headless = headless,
        Egress = EgressPolicy.Parse([NetworkedStandIn.ApiHost]),
        Credentials = ["claude"],
        Environment = new Dictionary<string, string>
        {
            ["ANTHROPIC_BASE_URL"] = $"http://{NetworkedStandIn.ApiHost}",
            ["GIT_AUTHOR_NAME"] = "Claude Code",
            ["GIT_AUTHOR_EMAIL"] = "agent@paude.invalid",
            ["GIT_COMMITTER_NAME"] = "Claude Code",
            ["GIT_COMMITTER_EMAIL"] = "agent@paude.invalid",
        },
    };

    /// <summary>
    /// Not headless: the agent starts only once the repository is in the session (what <c>paude connect</c> does);
    /// the scripted model makes Claude Code write a file and commit it, the commit syncs back onto
    /// <c>paude/&lt;session&gt;</c>, and the stand-in's log shows the delivered key on every call, the delivered
    /// skill and plugin offered to the model, every call by the allowed name, and a denied name refused.
    /// </summary>
    public static async Task WritesAndCommitsThroughTheProxyAsync(ClaudeCodeRun run, LocalRepo local, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(log);
        var (backend, standIn) = (run.Backend, run.StandIn);
        var baseCommit = await local.CommitAsync("README.md", "# e2e\n", "Initial commit").ConfigureAwait(false);
        var earlier = standIn.Requests.Count; // a stand-in may be shared by several tests
        await backend.CreateAsync(Spec(run.Name, local.Path, SessionAgent.Claude("-p", "Write hello.txt and commit it."), headless: false, run.AgentImage)).ConfigureAwait(false);
        try
        {
            await run.Sync.SyncAsync(run.Name, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Branch }).ConfigureAwait(false);
            var started = await backend.ExecAsync(run.Name, ["paude-start-session"]).ConfigureAwait(false);
            Assert.True(started.ExitCode == 0, started.StandardError);

            string pane;
            try
            {
                pane = await Eventually.UntilAsync(() => PaneAsync(backend, run.Name), p => p.Contains("agent 'paude-agent-claude' exited with code", StringComparison.Ordinal), "Claude Code finished", TimeSpan.FromMinutes(4)).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\nstand-in log:\n{standIn.Describe()}", e);
            }

            log(pane);
            log(standIn.Describe());
            Assert.Contains("exited with code 0", pane, StringComparison.Ordinal);

            // The scripted model made the agent use its tools: the file and the commit are in the session...
            var result = await run.Sync.SyncAsync(run.Name, local.Path, new SyncOptions { Direction = SyncDirection.FromSession, Strategy = SyncStrategy.Branch }).ConfigureAwait(false);
            Assert.Equal(1, result.CommitsTransferred);
            // ...and came back onto paude/<session>, on top of ours, the current branch untouched.
            var branch = $"paude/{run.Name.Value}";
            Assert.Equal(ClaudeCodeScript.CommitMessage, await local.GitAsync("log", "-1", "--format=%s", branch).ConfigureAwait(false));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", branch + "~1").ConfigureAwait(false));
            Assert.Equal(ClaudeCodeScript.FileContent.TrimEnd('\n'), await local.GitAsync("show", $"{branch}:{ClaudeCodeScript.FileName}").ConfigureAwait(false));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", "HEAD").ConfigureAwait(false));

            // The stand-in saw the whole agent loop, every model call authenticated with the delivered key, all by
            // the allowed name (through the proxy), and the skill delivered with the credentials in the prompt.
            var requests = standIn.Requests.Skip(earlier).ToList();
            var messages = requests.Where(r => r.IsMessages).ToList();
            Assert.True(messages.Count(r => r.Body.Contains("\"tool_result\"", StringComparison.Ordinal)) >= 2, standIn.Describe());
            Assert.All(messages, r => Assert.Equal(run.ApiKey, r.ApiKey));
            Assert.All(requests, r => Assert.Equal(NetworkedStandIn.ApiHost, r.Host.Split(':')[0]));
            Assert.Contains(messages, r => r.Body.Contains(run.SkillName, StringComparison.Ordinal));
            // The full plugin delivered with the credentials (local marketplace, enabled in settings.json) is loaded:
            // its skill, agent and command are offered to the model (BUG-002 end to end).
            foreach (var piece in new[] { run.Plugin.Skill, run.Plugin.Agent, run.Plugin.Command })
            {
                Assert.True(messages.Any(r => r.Body.Contains(piece, StringComparison.Ordinal)), $"{piece} not in any request:\n{standIn.Describe()}");
            }

            // A name not on the allow-list is refused by the proxy and never reaches the stand-in.
            var before = standIn.Requests.Count;
            var denied = await backend.ExecAsync(run.Name, ["bash", "-c", $"curl -s -o /dev/null -w '%{{http_code}}' -m 20 -x \"$HTTP_PROXY\" http://{NetworkedStandIn.DeniedHost}/v1/messages"]).ConfigureAwait(false);
            Assert.Equal("403", denied.StandardOutput.Trim());
            Assert.Equal(before, standIn.Requests.Count);

            // The key stayed in the memory-backed credentials: nothing on the workspace volume/PVC holds it.
            await AssertKeyNotOnVolumeAsync(backend, run.Name, run.ApiKey).ConfigureAwait(false);
        }
        finally
        {
            await backend.DeleteAsync(run.Name).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Claude Code's own state (<c>CLAUDE_CONFIG_DIR=/pvc/.agent/claude</c>: its first start and user ID, prompt
    /// history, a file the user made under <c>~/.claude</c>) survives <paramref name="recreate"/> of the agent's
    /// container, while the delivered settings (with the key) are linked from the memory-backed
    /// <c>/credentials</c> again and the key is on no file of the volume/PVC.
    /// </summary>
    /// <param name="backend">The backend the session runs on.</param>
    /// <param name="spec">The session: Claude Code with the <c>claude</c> credentials delivering <paramref name="apiKey"/>.</param>
    /// <param name="apiKey">The key delivered with the credentials.</param>
    /// <param name="userFile">A path under <c>~/.claude</c> the user writes (not a folder the credentials deliver).</param>
    /// <param name="recreate">Removes the agent's container and brings the session back from its volume/PVC.</param>
    /// <param name="log">Test output.</param>
    public static async Task StateSurvivesReCreationAsync(ISessionBackend backend, SessionSpec spec, string apiKey, string userFile, Func<SessionName, Task> recreate, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(recreate);
        ArgumentNullException.ThrowIfNull(log);
        var name = spec.Name ?? throw new ArgumentException("The spec needs a name.", nameof(spec));
        await backend.CreateAsync(spec).ConfigureAwait(false);
        try
        {
            await WaitForPromptAsync(backend, name, "Claude Code's prompt").ConfigureAwait(false);
            var before = await StateAsync(backend, name, "Claude Code's state after its first start").ConfigureAwait(false);
            // What a user does inside the session: a file of their own, prompt history.
            await ShAsync(backend, name, $$"""
                mkdir -p "$(dirname ~/.claude/{{userFile}})" && echo '{"name":"own"}' > ~/.claude/{{userFile}}
                echo '{"display":"earlier prompt","project":"/pvc/workspace"}' >> ~/.claude/history.jsonl
                """).ConfigureAwait(false);

            await recreate(name).ConfigureAwait(false);
            await WaitForPromptAsync(backend, name, "Claude Code's prompt in the re-created container").ConfigureAwait(false);

            // The same state file, not a fresh seed (which has no first start until Claude Code writes a new one).
            var after = await StateAsync(backend, name, "Claude Code's state in the re-created container").ConfigureAwait(false);
            log(after.ToJsonString());
            Assert.Equal(before["firstStartTime"]!.GetValue<string>(), after["firstStartTime"]!.GetValue<string>());
            Assert.Equal(before["userID"]!.GetValue<string>(), after["userID"]!.GetValue<string>());
            Assert.Equal("{\"name\":\"own\"}", await ShAsync(backend, name, $"cat ~/.claude/{userFile}").ConfigureAwait(false));
            Assert.Contains("earlier prompt", await ShAsync(backend, name, "cat ~/.claude/history.jsonl").ConfigureAwait(false), StringComparison.Ordinal);

            // The delivered settings (with the key) are linked from the memory-backed folder again, and the key is on
            // no file of the volume.
            Assert.Equal("/credentials/claude/settings.json", await ShAsync(backend, name, "test -f /credentials/.ready && readlink \"$CLAUDE_CONFIG_DIR/settings.json\"").ConfigureAwait(false));
            Assert.Equal("tmpfs", await ShAsync(backend, name, "stat -f -c %T /credentials").ConfigureAwait(false));
            await AssertKeyNotOnVolumeAsync(backend, name, apiKey).ConfigureAwait(false);
        }
        finally
        {
            await backend.DeleteAsync(name).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for Claude Code's prompt in tmux; an exec that fails while the container is re-created is retried.</summary>
    public static Task<string> WaitForPromptAsync(ISessionBackend backend, SessionName name, string what) =>
        Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return (await backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-t", "paude"]).ConfigureAwait(false)).StandardOutput;
                }
                catch (PaudeException e)
                {
                    return e.Message; // the pod or container is being re-created
                }
            },
            p => p.Contains(Prompt, StringComparison.Ordinal),
            what,
            PromptBound);

    private static async Task<string> PaneAsync(ISessionBackend backend, SessionName name) =>
        (await backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", "paude"]).ConfigureAwait(false)).StandardOutput;

    private static Task<JsonNode> StateAsync(ISessionBackend backend, SessionName name, string what) =>
        Eventually.UntilAsync(
            async () => JsonNode.Parse(await ShAsync(backend, name, "cat \"$HOME/.claude.json\"").ConfigureAwait(false))!,
            a => a["firstStartTime"] is not null && a["userID"] is not null,
            what,
            TimeSpan.FromSeconds(30));

    private static async Task<string> ShAsync(ISessionBackend backend, SessionName name, string script)
    {
        var result = await backend.ExecAsync(name, ["bash", "-c", script]).ConfigureAwait(false);
        Assert.True(result.ExitCode == 0, $"{script}: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    /// <summary>grep -r does not follow the links into /credentials; exit 1 = no match.</summary>
    private static async Task AssertKeyNotOnVolumeAsync(ISessionBackend backend, SessionName name, string apiKey)
    {
        var onVolume = await backend.ExecAsync(name, ["grep", "-rqF", apiKey, "/pvc"]).ConfigureAwait(false);
        Assert.Equal(1, onVolume.ExitCode);
    }
}

/// <summary>One backend's run of the end-to-end scenario: what it talks to and what the credentials delivered.</summary>
/// <param name="Backend">The backend the session runs on.</param>
/// <param name="Sync">Sync for that backend.</param>
/// <param name="StandIn">The stand-in the session's proxy reaches as <see cref="NetworkedStandIn.ApiHost"/>.</param>
/// <param name="Name">The session's name.</param>
/// <param name="ApiKey">The key the <c>claude</c> credentials deliver.</param>
/// <param name="SkillName">The skill the credentials deliver.</param>
/// <param name="Plugin">The plugin the credentials deliver.</param>
/// <param name="AgentImage">The agent image, or null for the backend's default.</param>
public sealed record ClaudeCodeRun(ISessionBackend Backend, ISessionSync Sync, MessagesApiStandIn StandIn, SessionName Name, string ApiKey, string SkillName, TestPlugin Plugin, string? AgentImage = null);
