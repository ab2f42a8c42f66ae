using System.Security.Cryptography;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Integration;
using Paude.DependencyInjection;
using Paude.Execution;
using Paude.Sessions;
using Xunit.Abstractions;

namespace Paude.Backends.OpenShift.Tests.Agent;

/// <summary>
/// The real Claude Code on the Kubernetes test server: its state lives in <c>CLAUDE_CONFIG_DIR</c> on the session's
/// PVC, so it survives the StatefulSet re-creating a deleted pod, while the delivered credentials come back into the
/// memory-backed <c>/credentials</c> (restored by the new pod) and are only linked from the PVC.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class ClaudeCodeStateTests(KubeServerFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Prompt = "bypass permissions on";
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

    private async Task<string> ShAsync(SessionName name, string script)
    {
        var result = await Backend.ExecAsync(name, ["bash", "-c", script]);
        Assert.True(result.ExitCode == 0, $"{script}: {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    private Task<string> WaitForPromptAsync(SessionName name, string what) =>
        Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    return (await Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-t", "paude"])).StandardOutput;
                }
                catch (Paude.Errors.PaudeException e)
                {
                    return e.Message; // the pod is being re-created
                }
            },
            p => p.Contains(Prompt, StringComparison.Ordinal),
            what,
            TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Claude_Codes_state_survives_pod_recreation_while_the_credentials_come_back_into_memory()
    {
        var name = fixture.NewName("claude-state");
        await Backend.CreateAsync(fixture.Spec(name) with { Agent = SessionAgent.Claude(), Credentials = ["claude"] });
        try
        {
            await WaitForPromptAsync(name, "Claude Code's prompt");
            var before = await Eventually.UntilAsync(
                async () => JsonNode.Parse(await ShAsync(name, "cat \"$HOME/.claude.json\""))!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state after its first start",
                TimeSpan.FromSeconds(30));
            await ShAsync(name, """
                mkdir -p ~/.claude/plugins/marketplaces/own && echo '{"name":"own"}' > ~/.claude/plugins/marketplaces/own/marketplace.json
                echo '{"display":"earlier prompt","project":"/pvc/workspace"}' >> ~/.claude/history.jsonl
                """);

            // The pod goes; the StatefulSet makes a new one (new container filesystem, same PVC), without the host.
            using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
            var pod = $"paude-{name}-0";
            var oldUid = (await client.CoreV1.ReadNamespacedPodAsync(pod, KubeServerFixture.Namespace)).Metadata.Uid;
            await fixture.KubectlAsync("delete", "pod", pod, "--wait=true");
            await Eventually.UntilAsync(
                async () => (await client.CoreV1.ListNamespacedPodAsync(KubeServerFixture.Namespace, fieldSelector: $"metadata.name={pod}")).Items.SingleOrDefault(),
                p => p is { Status.Phase: "Running" } && p.Metadata.Uid != oldUid && p.Status.ContainerStatuses?.All(c => c.Ready) == true,
                "the StatefulSet's new pod ready",
                TimeSpan.FromMinutes(3));
            await WaitForPromptAsync(name, "Claude Code's prompt in the new pod");

            var after = await Eventually.UntilAsync(
                async () => JsonNode.Parse(await ShAsync(name, "cat \"$HOME/.claude.json\""))!,
                a => a["firstStartTime"] is not null && a["userID"] is not null,
                "Claude Code's state in the new pod",
                TimeSpan.FromSeconds(30));
            output.WriteLine(after.ToJsonString());
            Assert.Equal(before["firstStartTime"]!.GetValue<string>(), after["firstStartTime"]!.GetValue<string>());
            Assert.Equal(before["userID"]!.GetValue<string>(), after["userID"]!.GetValue<string>());
            Assert.Equal("{\"name\":\"own\"}", await ShAsync(name, "cat ~/.claude/plugins/marketplaces/own/marketplace.json"));
            Assert.Contains("earlier prompt", await ShAsync(name, "cat ~/.claude/history.jsonl"), StringComparison.Ordinal);

            Assert.Equal("/credentials/claude/settings.json", await ShAsync(name, "test -f /credentials/.ready && readlink \"$CLAUDE_CONFIG_DIR/settings.json\""));
            Assert.Equal("tmpfs", await ShAsync(name, "stat -f -c %T /credentials"));
            var onPvc = await Backend.ExecAsync(name, ["grep", "-rqF", _apiKey, "/pvc"]);
            Assert.Equal(1, onPvc.ExitCode);
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }
}
