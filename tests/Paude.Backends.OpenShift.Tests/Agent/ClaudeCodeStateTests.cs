using System.Security.Cryptography;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.TestSupport.Agent;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Agent;

/// <summary>
/// The real Claude Code on the Kubernetes test server: its state lives in <c>CLAUDE_CONFIG_DIR</c> on the session's
/// PVC, so it survives the StatefulSet re-creating a deleted pod, while the delivered credentials come back into the
/// memory-backed <c>/credentials</c> (restored by the new pod) and are only linked from the PVC.
/// </summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class ClaudeCodeStateTests(KubeServerFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _hostHome = Directory.CreateTempSubdirectory("paude-os-claude-").FullName;
    private readonly string _apiKey = "sk-ant-paude-os-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private ServiceProvider? _services;

    private ISessionBackend Backend => _services!.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");

    public Task InitializeAsync()
    {
        // A host home whose ~/.claude holds only settings with the key: delivered as a credential, nothing else.
        Directory.CreateDirectory(Path.Join(_hostHome, ".claude"));
        File.WriteAllText(Path.Join(_hostHome, ".claude", "settings.json"), $$"""{ "env": { "ANTHROPIC_API_KEY": "{{_apiKey}}" } }""");
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
            .AddPaudeCredentials(o =>
            {
                o.HomeDirectory = _hostHome;
                o.ClaudeConfigDirectory = Path.Join(_hostHome, ".claude");
                o.ClaudeJsonPath = Path.Join(_hostHome, ".claude.json");
            });
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Directory.Delete(_hostHome, recursive: true);
    }

    [Fact]
    public async Task Claude_Codes_state_survives_pod_recreation_while_the_credentials_come_back_into_memory()
    {
        // An in-session plugin marketplace of the user's own (this fixture delivers no plugins folder). The pod goes;
        // the StatefulSet makes a new one (new container filesystem, same PVC), without the host.
        await ClaudeCodeScenarios.StateSurvivesReCreationAsync(
            Backend,
            fixture.Spec(fixture.NewName("claude-state")) with { Agent = SessionAgent.Claude(), Credentials = ["claude"] },
            _apiKey,
            "plugins/marketplaces/own/marketplace.json",
            RecreatePodAsync,
            output.WriteLine);
    }

    private async Task RecreatePodAsync(SessionName name)
    {
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var pod = $"paude-{name}-0";
        var oldUid = (await client.CoreV1.ReadNamespacedPodAsync(pod, KubeServerFixture.Namespace)).Metadata.Uid;
        await fixture.KubectlAsync("delete", "pod", pod, "--wait=true");
        await Eventually.UntilAsync(
            async () => (await client.CoreV1.ListNamespacedPodAsync(KubeServerFixture.Namespace, fieldSelector: $"metadata.name={pod}")).Items.SingleOrDefault(),
            p => p is { Status.Phase: "Running" } && p.Metadata.Uid != oldUid && p.Status.ContainerStatuses?.All(c => c.Ready) == true,
            "the StatefulSet's new pod ready",
            TimeSpan.FromMinutes(3));
    }
}
