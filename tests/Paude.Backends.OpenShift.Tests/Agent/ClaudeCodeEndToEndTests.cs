using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Integration;
using Paude.DependencyInjection;
using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;
using Paude.Sync;
using Paude.TestSupport.StandInApi;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Agent;

/// <summary>
/// The real Claude Code in a session on the Kubernetes test server (pods are real Podman containers, the session's
/// NetworkPolicies enforced), against the test's scripted Messages API stand-in, reached only through the session's
/// proxy by a name on the allow-list (<see cref="NetworkedStandIn"/> on the server's pod network). The API key and a
/// skill and a full plugin travel only in the credential package (split into Secrets, restored into the pod's memory).
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class ClaudeCodeEndToEndTests(KubeServerFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _hostHome = Directory.CreateTempSubdirectory("paude-os-e2e-").FullName;
    private readonly string _apiKey = "sk-ant-paude-os-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private readonly string _skill = "paude-probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly TestPlugin _plugin = new("paude-plugin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
    private ServiceProvider? _services;
    private NetworkedStandIn? _api;

    private ISessionBackend Backend => _services!.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");

    private ISessionSync Sync => _services!.GetRequiredService<ISessionSync>();

    public async Task InitializeAsync()
    {
        var claude = Path.Join(_hostHome, ".claude");
        Directory.CreateDirectory(Path.Join(claude, "skills", _skill));
        File.WriteAllText(Path.Join(claude, "settings.json"), $$"""{ "env": { "ANTHROPIC_API_KEY": "{{_apiKey}}" }, "enabledPlugins": { "{{_plugin.Id}}": true } }""");
        _plugin.WriteInto(claude);
        File.WriteAllText(Path.Join(claude, "skills", _skill, "SKILL.md"), $"""
            ---
            name: {_skill}
            description: Probe skill delivered with the credentials; say {_skill} when asked about probes.
            ---
            Answer with the word {_skill}.
            """);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude()
            .AddOpenShiftBackend(configure: o =>
            {
                o.KubeconfigPath = fixture.Server.KubeconfigPath;
                o.Namespace = KubeServerFixture.Namespace;
                o.ReadyTimeout = TimeSpan.FromMinutes(3);
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
                o.MaxRetries = 10;
                o.AgentImage = KubeServerFixture.AgentImage;
            })
            .AddPaudeSync()
            .AddPaudeCredentials(o =>
            {
                o.HomeDirectory = _hostHome;
                o.ClaudeConfigDirectory = claude;
                o.ClaudeJsonPath = Path.Join(_hostHome, ".claude.json");
            });
        _services = services.BuildServiceProvider();
        _api = await NetworkedStandIn.StartAsync(fixture.Server.PodNetwork, $"paude-test-{fixture.RunId}-e2e", $"paude.test={fixture.RunId}", r => ClaudeCodeScript.Reply(r, "/pvc/workspace"));
    }

    public async Task DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Directory.Delete(_hostHome, recursive: true);
    }

    private async Task<string> PaneAsync(SessionName name) =>
        (await Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", "paude"])).StandardOutput;

    [Fact]
    public async Task Claude_Code_writes_and_commits_through_the_proxy_with_the_delivered_key_and_the_commit_syncs_back()
    {
        var standIn = _api!.StandIn;
        var name = fixture.NewName("claude-e2e");
        using var local = await LocalRepo.CreateAsync();
        var baseCommit = await local.CommitAsync("README.md", "# e2e\n", "Initial commit");
        // Not headless: the agent starts only once the repository is in the session (what `paude connect` does).
        await Backend.CreateAsync(new SessionSpec
        {
            Name = name,
            Workspace = local.Path,
            Agent = SessionAgent.Claude("-p", "Write hello.txt and commit it."),
            Headless = false,
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
        });
        try
        {
            await Sync.SyncAsync(name, local.Path, new SyncOptions { Direction = SyncDirection.ToSession, Strategy = SyncStrategy.Branch });
            var started = await Backend.ExecAsync(name, ["paude-start-session"]);
            Assert.True(started.ExitCode == 0, started.StandardError);

            string pane;
            try
            {
                pane = await Eventually.UntilAsync(() => PaneAsync(name), p => p.Contains("agent 'paude-agent-claude' exited with code", StringComparison.Ordinal), "Claude Code finished", TimeSpan.FromMinutes(4));
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}\nstand-in log:\n{standIn.Describe()}", e);
            }

            output.WriteLine(pane);
            output.WriteLine(standIn.Describe());
            Assert.Contains("exited with code 0", pane, StringComparison.Ordinal);

            // The file and the commit came back onto paude/<session>, on top of ours, the current branch untouched.
            var result = await Sync.SyncAsync(name, local.Path, new SyncOptions { Direction = SyncDirection.FromSession, Strategy = SyncStrategy.Branch });
            Assert.Equal(1, result.CommitsTransferred);
            var branch = $"paude/{name.Value}";
            Assert.Equal(ClaudeCodeScript.CommitMessage, await local.GitAsync("log", "-1", "--format=%s", branch));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", branch + "~1"));
            Assert.Equal(ClaudeCodeScript.FileContent.TrimEnd('\n'), await local.GitAsync("show", $"{branch}:{ClaudeCodeScript.FileName}"));
            Assert.Equal(baseCommit, await local.GitAsync("rev-parse", "HEAD"));

            // The whole agent loop, every model call with the delivered key, all by the allowed name (through the
            // proxy), and the skill delivered with the credentials in the prompt.
            var requests = standIn.Requests;
            var messages = requests.Where(r => r.IsMessages).ToList();
            Assert.True(messages.Count(r => r.Body.Contains("\"tool_result\"", StringComparison.Ordinal)) >= 2, standIn.Describe());
            Assert.All(messages, r => Assert.Equal(_apiKey, r.ApiKey));
            Assert.All(requests, r => Assert.Equal(NetworkedStandIn.ApiHost, r.Host.Split(':')[0]));
            Assert.Contains(messages, r => r.Body.Contains(_skill, StringComparison.Ordinal));
            // The full plugin delivered with the credentials (local marketplace, enabled in settings.json) is loaded:
            // its skill, agent and command are offered to the model (BUG-002 end to end).
            foreach (var piece in new[] { _plugin.Skill, _plugin.Agent, _plugin.Command })
            {
                Assert.True(messages.Any(r => r.Body.Contains(piece, StringComparison.Ordinal)), $"{piece} not in any request:\n{standIn.Describe()}");
            }

            // A name not on the allow-list is refused by the proxy and never reaches the stand-in.
            var before = standIn.Requests.Count;
            var denied = await Backend.ExecAsync(name, ["bash", "-c", $"curl -s -o /dev/null -w '%{{http_code}}' -m 20 -x \"$HTTP_PROXY\" http://{NetworkedStandIn.DeniedHost}/v1/messages"]);
            Assert.Equal("403", denied.StandardOutput.Trim());
            Assert.Equal(before, standIn.Requests.Count);

            // The key stayed in the memory-backed credentials: no file on the PVC holds it.
            var onPvc = await Backend.ExecAsync(name, ["grep", "-rqF", _apiKey, "/pvc"]);
            Assert.Equal(1, onPvc.ExitCode);
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }
}
