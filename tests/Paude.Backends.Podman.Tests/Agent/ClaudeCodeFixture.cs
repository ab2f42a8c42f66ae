using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Sync;
using Paude.TestSupport.StandInApi;

namespace Paude.Tests.Agent;

/// <summary>
/// Everything the real Claude Code needs to run end to end on this machine only: a Podman network of the test's
/// own (<c>paude-test-&lt;run&gt;-api</c>); the scripted Messages API stand-in reached on it by name
/// (<see cref="NetworkedStandIn"/>: <see cref="ApiHost"/>, and <see cref="DeniedHost"/>, which is not on any
/// allow-list); a Podman backend whose proxies join that network (its only way out), with real
/// credential packaging from a throw-away host home whose <c>~/.claude</c> holds the API key and a skill.
/// </summary>
public sealed class ClaudeCodeFixture : IAsyncLifetime
{
    public const string ApiHost = NetworkedStandIn.ApiHost;

    public const string DeniedHost = NetworkedStandIn.DeniedHost;

    private ServiceProvider? _services;
    private NetworkedStandIn? _standIn;

    public string RunId { get; } = "pa" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The API key in the host's <c>~/.claude/settings.json</c>: delivered only as a credential.</summary>
    public string ApiKey { get; } = "sk-ant-paude-e2e-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The name of the skill delivered in <c>~/.claude/skills</c> with the credentials.</summary>
    public string SkillName { get; } = "paude-probe-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>The names of the delivered plugin's command, skill and agent (and the plugin's own name).</summary>
    public TestPlugin Plugin { get; } = new("paude-plugin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));

    public string HostHome { get; } = Directory.CreateTempSubdirectory("paude-e2e-home-").FullName;

    public string Network => $"paude-test-{RunId}-api";

    public ISessionBackend Backend { get; private set; } = null!;

    public ISessionSync Sync { get; private set; } = null!;

    public MessagesApiStandIn StandIn => _standIn?.StandIn ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>The agent image: <c>PAUDE_TEST_AGENT_IMAGE</c>, else the backend's default (built by scripts/setup.sh).</summary>
    public string? AgentImage { get; } = Environment.GetEnvironmentVariable("PAUDE_TEST_AGENT_IMAGE") is { Length: > 0 } i ? i : null;

    public SessionName NewName(string purpose) => SessionName.Parse($"{RunId}-{purpose}");

    public async Task InitializeAsync()
    {
        WriteHostClaudeConfig();
        var label = $"paude.test={RunId}";
        await Podman.CheckAsync("network", "create", "--label", label, Network);
        _standIn = await NetworkedStandIn.StartAsync(Network, $"paude-test-{RunId}", label, r => ClaudeCodeScript.Reply(r, "/pvc/workspace"));

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude()
            .AddPodmanBackend("podman", o =>
            {
                o.ProxyNetworks = [Network];
                o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = RunId };
                o.StopTimeout = TimeSpan.FromSeconds(2);
            })
            .AddPaudeSync()
            .AddPaudeCredentials(o =>
            {
                o.HomeDirectory = HostHome;
                o.ClaudeConfigDirectory = Path.Join(HostHome, ".claude");
                o.ClaudeJsonPath = Path.Join(HostHome, ".claude.json");
                o.GcloudConfigDirectory = Path.Join(HostHome, ".config", "gcloud");
            });
        _services = services.BuildServiceProvider();
        Backend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        Sync = _services.GetRequiredService<ISessionSync>();
    }

    public async Task DisposeAsync()
    {
        var label = $"paude.test={RunId}";
        foreach (var id in await Podman.LinesAsync("ps", "-a", "-q", "--filter", $"label={label}"))
        {
            await Podman.RunAsync("rm", "-f", "-t", "0", id);
        }

        foreach (var v in await Podman.LinesAsync("volume", "ls", "-q", "--filter", $"label={label}"))
        {
            await Podman.RunAsync("volume", "rm", "-f", v);
        }

        foreach (var n in await Podman.LinesAsync("network", "ls", "-q", "--filter", $"label={label}"))
        {
            await Podman.RunAsync("network", "rm", "-f", n);
        }

        if (_standIn is not null)
        {
            await _standIn.DisposeAsync();
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        Directory.Delete(HostHome, recursive: true);
    }

    /// <summary>The refresh token in the host's gcloud application default credentials (the <c>gcloud</c> source).</summary>
    public string AdcSecret { get; } = "adc-refresh-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private void WriteHostClaudeConfig()
    {
        var gcloud = Directory.CreateDirectory(Path.Join(HostHome, ".config", "gcloud")).FullName;
        File.WriteAllText(Path.Join(gcloud, "application_default_credentials.json"), $$"""{ "type": "authorized_user", "client_id": "paude-test.apps.invalid", "client_secret": "paude-test", "refresh_token": "{{AdcSecret}}" }""");
        var claude = Path.Join(HostHome, ".claude");
        Directory.CreateDirectory(Path.Join(claude, "skills", SkillName));
        // The key travels only inside the credential package (settings.json is packaged as a secret).
        File.WriteAllText(Path.Join(claude, "settings.json"), $$"""{ "env": { "ANTHROPIC_API_KEY": "{{ApiKey}}" }, "enabledPlugins": { "{{Plugin.Id}}": true } }""");
        Plugin.WriteInto(claude);
        File.WriteAllText(Path.Join(claude, "skills", SkillName, "SKILL.md"), $"""
            ---
            name: {SkillName}
            description: Probe skill delivered with the credentials; say {SkillName} when asked about probes.
            ---
            Answer with the word {SkillName}.
            """);
    }
}

[CollectionDefinition("claude-code")]
public sealed class ClaudeCodeTestGroup : ICollectionFixture<ClaudeCodeFixture>;
