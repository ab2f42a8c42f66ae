using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Credentials;
using Paude.DependencyInjection;
using Paude.Sessions;
using Paude.Tests.Packaging;
using Paude.Tests.Restore;
using Paude.Tests.Support;

namespace Paude.Tests.EndToEnd;

/// <summary>
/// A real Podman session (agent + proxy, from <c>localhost/paude-agent:latest</c>) created with credentials
/// <c>claude,gcloud,git</c> as UID 1000680000:0: the backend streams the package into its tmpfs and runs the
/// restore step. Checks every file and mode at its home path, no secret in <c>podman inspect</c> or the logs,
/// nothing credential-related on the workspace volume, re-delivery after stop/start, and nothing left after delete.
/// </summary>
public sealed class PodmanSessionCredentialsTests(SyntheticHomeFixture fixture) : IClassFixture<SyntheticHomeFixture>, IAsyncLifetime
{
    /// <summary><c>PAUDE_TEST_AGENT_IMAGE</c> (an image built from this tree under another tag), else what setup.sh builds.</summary>
    private static readonly string AgentImage = Environment.GetEnvironmentVariable("PAUDE_TEST_AGENT_IMAGE") is { Length: > 0 } i ? i : "localhost/paude-agent:latest";
    private readonly string _runId = "cre2e" + Guid.NewGuid().ToString("N")[..6];
    private readonly CapturingLoggerProvider _logs = new(); // disposed with the service provider that owns it
    private ServiceProvider? _services;

    public async Task InitializeAsync()
    {
        // The image must carry the restore script of this source tree (scripts/setup.sh rebuilds it).
        var inImage = await Run.ExecAsync("podman", "run", "--rm", "--entrypoint", "cat", AgentImage, "/usr/local/bin/paude-restore-credentials");
        Assert.True(inImage.ExitCode == 0, $"{AgentImage} is missing; run scripts/setup.sh. {inImage.Stderr}");
        Assert.True(inImage.Stdout == await File.ReadAllTextAsync(PodmanContainer.RestoreScript), $"{AgentImage} has an older paude-restore-credentials; run scripts/setup.sh to rebuild it");

        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        services.AddPaude()
            .AddPodmanBackend("podman", o =>
            {
                o.AgentImage = AgentImage;
                o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = _runId };
                o.StopTimeout = TimeSpan.FromSeconds(2);
            })
            .AddPaudeCredentials(o =>
            {
                fixture.Home.Configure(o);
                o.OutsideLinks = OutsideLinkPolicy.Skip;
            });
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        foreach (var kind in new[] { "container", "volume", "network" })
        {
            var list = kind == "container"
                ? await Podman.LinesAsync("ps", "-aq", "--filter", "label=paude.test=" + _runId)
                : await Podman.LinesAsync(kind, "ls", "-q", "--filter", "label=paude.test=" + _runId);
            foreach (var id in list)
            {
                await Run.ExecAsync(kind == "container" ? ["podman", "rm", "-f", "-t", "0", id] : ["podman", kind, "rm", "-f", id]);
            }
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public async Task Session_WithCredentials_AsArbitraryUid_GetsEveryFileInMemory_LeaksNothing_AndLeavesNothingAfterDelete()
    {
        var backend = _services!.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        var manifest = await _services!.GetRequiredService<ICredentialInventory>().DescribeAsync(["claude", "gcloud", "git"]);
        var name = SessionName.Parse(_runId + "-cred");
        var spec = new SessionSpec
        {
            Name = name,
            AgentCommand = ["bash"],
            User = "1000680000:0",
            Credentials = ["claude", "gcloud", "git"],
        };

        await backend.CreateAsync(spec);
        var agent = PodmanContainer.Existing("paude-" + name.Value);
        await RestoreScriptTests.AssertPlacedInHomeAsync(agent, manifest);
        Assert.Equal("1000680000", (await agent.ExecAsync("id", "-u")).Stdout.Trim());
        var gitEmail = await Run.ExecAsync("podman", "exec", "-w", "/home/paude", agent.Name, "git", "config", "--get", "user.email");
        Assert.Equal("synthetic@example.test", gitEmail.Stdout.Trim());

        // No secret in the container or proxy configuration, nor in anything logged.
        var inspect = await Run.ExecAsync("podman", "inspect", agent.Name, "paude-" + name.Value + ".proxy");
        Assert.Equal(0, inspect.ExitCode);
        foreach (var secret in fixture.Home.Secrets)
        {
            Assert.DoesNotContain(secret, inspect.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, _logs.AllText, StringComparison.Ordinal);
        }

        // Nothing credential-related on the workspace volume (checked as root, by content and by name). Claude Code's
        // config folder is there (/pvc/.agent/claude: its state survives re-creation), but what was delivered is only
        // linked into it from the memory-backed /credentials: no such file, and every link leads into /credentials.
        var volume = $"paude-{name.Value}.workspace";
        var onVolume = await Run.ExecAsync(
            ["podman", "run", "--rm", "--label", "paude.test=" + _runId, "-v", volume + ":/v:ro", "localhost/paude-base:ci",
             "sh", "-c", "grep -rlF -e \"$1\" -e \"$2\" -e \"$3\" -e \"$4\" /v; find /v ! -type l \\( -name '*credential*' -o -name '.claude*' -o -name '.paude-manifest*' -o -name 'gcloud' \\); find /v -type l ! -lname '/credentials/*'",
             "sh", .. fixture.Home.Secrets.Take(4)]);
        Assert.Equal(string.Empty, onVolume.Stdout.Trim());

        // Stop empties the tmpfs; start delivers again.
        await backend.StopAsync(name);
        await backend.StartAsync(name);
        var again = await agent.ExecAsync("sha256sum", "/home/paude/.claude/.credentials.json");
        Assert.StartsWith(manifest.Entries.Single(e => e.Path == "claude/.credentials.json").Sha256!, again.Stdout, StringComparison.Ordinal);

        Assert.True(await backend.DeleteAsync(name));
        var containers = await Podman.LinesAsync("ps", "-aq", "--filter", "label=paude.io/session-name=" + name.Value);
        var volumes = await Podman.LinesAsync("volume", "ls", "-q", "--filter", "label=paude.io/session-name=" + name.Value);
        var networks = await Podman.LinesAsync("network", "ls", "-q", "--filter", "name=" + name.Value);
        Assert.Empty(containers.Concat(volumes).Concat(networks));
    }
}
