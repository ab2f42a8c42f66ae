using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// Claude Code on Vertex AI in a real Podman session: the provider settings from the session environment
/// (<c>CLAUDE_CODE_USE_VERTEX</c>, <c>CLOUD_ML_REGION</c>, <c>ANTHROPIC_VERTEX_PROJECT_ID</c>, and
/// <c>ANTHROPIC_VERTEX_BASE_URL</c> pointing at the stand-in), the gcloud application default credentials from the
/// <c>gcloud</c> credential source, and the model call in Vertex's form at the stand-in, through the proxy.
/// Google's token exchange is outside this machine, so the test sets <c>CLAUDE_CODE_SKIP_VERTEX_AUTH=1</c> (what
/// Claude Code documents for gateways): the ADC file is proven delivered, not exchanged for a token.
/// </summary>
[Collection("claude-code")]
public sealed class ClaudeCodeVertexTests(ClaudeCodeFixture fixture, ITestOutputHelper output)
{
    private const string Project = "paude-test-project";
    private const string Region = "us-east5";

    [Fact]
    public async Task ClaudeCodeOnVertexCallsTheVertexEndpointThroughTheProxyWithTheAdcDelivered()
    {
        var name = fixture.NewName("vertex");
        using var local = await LocalRepo.CreateAsync();
        await fixture.Backend.CreateAsync(new SessionSpec
        {
            Name = name,
            Workspace = local.Path,
            AgentImage = fixture.AgentImage,
            Agent = SessionAgent.Claude("-p", "Write hello.txt and commit it."),
            Egress = EgressPolicy.Parse([ClaudeCodeFixture.ApiHost]),
            Credentials = ["gcloud"],
            Environment = new Dictionary<string, string>
            {
                ["CLAUDE_CODE_USE_VERTEX"] = "1",
                ["CLOUD_ML_REGION"] = Region,
                ["ANTHROPIC_VERTEX_PROJECT_ID"] = Project,
                ["ANTHROPIC_VERTEX_BASE_URL"] = $"http://{ClaudeCodeFixture.ApiHost}/v1",
                ["CLAUDE_CODE_SKIP_VERTEX_AUTH"] = "1",
            },
        });
        try
        {
            var before = fixture.StandIn.Requests.Count;
            var pane = await Eventually.UntilAsync(
                async () => (await fixture.Backend.ExecAsync(name, ["tmux", "capture-pane", "-p", "-J", "-S", "-300", "-t", "paude"])).StandardOutput,
                p => p.Contains("agent 'paude-agent-claude' exited with code", StringComparison.Ordinal),
                "Claude Code finished",
                TimeSpan.FromMinutes(3));
            output.WriteLine(pane);
            output.WriteLine(fixture.StandIn.Describe());

            // The model calls went to the Vertex endpoint of the configured project and region, by the allowed name.
            var vertex = fixture.StandIn.Requests.Skip(before).Where(r => r.IsVertex).ToList();
            Assert.NotEmpty(vertex);
            Assert.All(vertex, r =>
            {
                Assert.StartsWith($"/v1/projects/{Project}/locations/{Region}/publishers/anthropic/models/", r.Path, StringComparison.Ordinal);
                Assert.Equal(ClaudeCodeFixture.ApiHost, r.Host.Split(':')[0]);
                Assert.Contains("vertex-", r.Json?["anthropic_version"]?.GetValue<string>() ?? string.Empty, StringComparison.Ordinal);
            });
            Assert.Contains("exited with code 0", pane, StringComparison.Ordinal);

            // The ADC arrived through the gcloud source, linked from the memory-backed folder, and on no file of the volume.
            var adc = await fixture.Backend.ExecAsync(name, ["bash", "-c", "readlink ~/.config/gcloud/application_default_credentials.json && cat ~/.config/gcloud/application_default_credentials.json"]);
            Assert.StartsWith("/credentials/gcloud/application_default_credentials.json\n", adc.StandardOutput, StringComparison.Ordinal);
            Assert.Contains(fixture.AdcSecret, adc.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(1, (await fixture.Backend.ExecAsync(name, ["grep", "-rqF", fixture.AdcSecret, "/pvc"])).ExitCode);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }
}
