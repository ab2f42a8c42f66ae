using Paude.Egress;
using Paude.Execution;
using Paude.Sessions;
using Paude.TestSupport;
using Xunit.Abstractions;

namespace Paude.Tests.Agent;

/// <summary>
/// Codex's home (<c>CODEX_HOME=/pvc/.agent/codex</c>, set by the agent image) is on the workspace volume like Claude
/// Code's, so a login made inside the session and Codex's own config survive the agent container being removed and
/// re-created. The real Codex CLI runs: an image variant of the agent image with the pinned Codex staged by
/// <c>images/agent/agents/fetch.sh</c> (scripts/setup.sh builds Claude Code only unless <c>PAUDE_AGENTS</c> says so).
/// </summary>
[Collection("claude-code")]
public sealed class CodexStateTests(ClaudeCodeFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _staged = Directory.CreateTempSubdirectory("paude-codex-stage-").FullName;
    private string? _image;

    public async Task InitializeAsync()
    {
        var baseImage = fixture.AgentImage ?? "localhost/paude-agent:latest";
        var has = await Podman.RunAsync("run", "--rm", "--pull=never", "--entrypoint", "bash", baseImage, "-c", "command -v codex");
        if (has.ExitCode == 0)
        {
            _image = baseImage;
            return;
        }

        // The pinned, integrity-checked binary (cached after its first fetch), added on top of the agent image.
        var fetch = await ProcessRunner.RunAsync(
            "bash",
            [Path.Join(RepositoryRoot.Path, "images", "agent", "agents", "fetch.sh"), "codex"],
            stdin: null,
            environment: new Dictionary<string, string> { ["PAUDE_AGENTS_STAGED"] = _staged });
        fetch.EnsureSuccess("staging the pinned Codex CLI (images/agent/agents/fetch.sh codex)");
        File.WriteAllText(Path.Join(_staged, "Containerfile"), $"""
            FROM {baseImage}
            COPY codex /usr/local/lib/paude-agents/staged/codex
            USER 0
            RUN ln -sf /usr/local/lib/paude-agents/staged/codex /usr/local/bin/codex
            USER 1001:0
            """);
        var tag = $"localhost/paude-test-{fixture.RunId}-codex:latest";
        (await Podman.RunAsync("build", "-q", "--pull=never", "-t", tag, _staged)).EnsureSuccess("building the Codex image variant");
        _image = tag;
    }

    public async Task DisposeAsync()
    {
        if (_image is not null && _image.StartsWith($"localhost/paude-test-{fixture.RunId}-", StringComparison.Ordinal))
        {
            await Podman.RunAsync("rmi", "-f", _image);
        }

        Directory.Delete(_staged, recursive: true);
    }

    private async Task<string> ShAsync(SessionName name, string script)
    {
        var result = await fixture.Backend.ExecAsync(name, ["bash", "-c", script]);
        Assert.True(result.ExitCode == 0, $"{script}: {result.StandardOutput} {result.StandardError}");
        return result.StandardOutput.Trim();
    }

    [Fact]
    public async Task Codexs_login_and_config_survive_re_creation_of_the_agent_container()
    {
        var name = fixture.NewName("codex");
        await fixture.Backend.CreateAsync(new SessionSpec
        {
            Name = name,
            AgentImage = _image,
            Agent = new SessionAgent("codex", []),
            Egress = EgressPolicy.Parse([ClaudeCodeFixture.ApiHost]),
        });
        try
        {
            // What a user does inside the session: logs Codex in (an API key given to Codex itself, not a delivered
            // credential) and sets a config value of their own.
            Assert.Equal("/pvc/.agent/codex", await ShAsync(name, "printf %s \"$CODEX_HOME\""));
            await ShAsync(name, $"printf %s {fixture.ApiKey} | codex login --with-api-key && echo 'model = \"paude-own\"' >> \"$CODEX_HOME/config.toml\"");
            Assert.Contains("API key", await ShAsync(name, "codex login status 2>&1"), StringComparison.Ordinal);

            // The agent container goes (as when the engine or a user removed it); start re-creates it from the volume.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name.Value}");
            await fixture.Backend.StartAsync(name);

            var status = await ShAsync(name, "codex login status 2>&1");
            output.WriteLine(status);
            Assert.Contains("API key", status, StringComparison.Ordinal);
            Assert.Contains("model = \"paude-own\"", await ShAsync(name, "cat ~/.codex/config.toml"), StringComparison.Ordinal);
            Assert.Equal("/pvc/.agent/codex", await ShAsync(name, "readlink ~/.codex"));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }
}
