using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;
using Paude.TestSupport.Agent;
using Paude.TestSupport.StandInApi;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Agent;

/// <summary>
/// The real Claude Code in a session on the Kubernetes test server (pods are real Podman containers, the session's
/// NetworkPolicies enforced), against the test's scripted Messages API stand-in, reached only through the session's
/// proxy by a name on the allow-list (<see cref="NetworkedStandIn"/> on the server's pod network). The API key and a
/// skill and a full plugin travel only in the credential package (split into Secrets, restored into the pod's memory).
/// The scenario is <see cref="ClaudeCodeScenarios.WritesAndCommitsThroughTheProxyAsync"/>, shared with the Podman backend.
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

    [Fact]
    public async Task Claude_Code_writes_and_commits_through_the_proxy_with_the_delivered_key_and_the_commit_syncs_back()
    {
        using var local = await LocalRepo.CreateAsync();
        await ClaudeCodeScenarios.WritesAndCommitsThroughTheProxyAsync(
            new ClaudeCodeRun(Backend, Sync, _api!.StandIn, fixture.NewName("claude-e2e"), _apiKey, _skill, _plugin),
            local,
            output.WriteLine);
    }
}
