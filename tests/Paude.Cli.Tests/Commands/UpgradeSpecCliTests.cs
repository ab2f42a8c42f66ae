using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude upgrade</c> with <c>create</c>'s spec options against real Podman: bad values exit 2 listing every problem
/// with nothing changed; good ones are in force afterwards (environment as exec sees it, the allow-list, the memory
/// limit as podman inspect reports it) and the workspace's work is still there.
/// </summary>
[Collection("podman")]
public sealed class UpgradeSpecCliTests : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("upspec");
    private readonly string _workspace = TestRun.NewGitWorkspace("upspec");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await PaudeCli.RunAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Upgrade_takes_creates_options_refuses_bad_values_together_and_applies_good_ones()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent, "-e", "PAUDE_T_OLD=1");
        Assert.True(created.ExitCode == 0, created.ToString());
        var seeded = await PaudeCli.RunAsync("exec", _name, "--", "bash", "-c", UpgradeImage.SeedWorkScript);
        Assert.True(seeded.ExitCode == 0, seeded.ToString());
        var container = await ContainerIdAsync();

        var bad = await PaudeCli.RunAsync("upgrade", _name, "--pids", "1", "--cpus", "5000", "--workspace-size", "10Gi", "--output", "json");
        Assert.True(bad.ExitCode == 2, bad.ToString());
        var error = bad.ErrorJson().GetProperty("error");
        Assert.Equal("invalid-options", error.GetProperty("kind").GetString());
        var problems = error.GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Limits.Pids:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Limits.Cpus:", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("WorkspaceSizeBytes:", StringComparison.Ordinal));
        Assert.Equal(container, await ContainerIdAsync());

        var upgraded = await PaudeCli.RunAsync("upgrade", _name, "-e", "PAUDE_T_NEW=two words", "--allowed-domains", "default,later.paude.test", "--memory", "300Mi");
        Assert.True(upgraded.ExitCode == 0, upgraded.ToString());
        Assert.NotEqual(container, await ContainerIdAsync());
        var env = await PaudeCli.RunAsync("exec", _name, "--", "bash", "-c", "echo \"${PAUDE_T_OLD-unset}|$PAUDE_T_NEW\"");
        Assert.Equal("unset|two words\n", env.Stdout);
        var domains = await PaudeCli.RunAsync("allowed-domains", _name);
        Assert.Contains("later.paude.test", domains.Stdout, StringComparison.Ordinal);
        var memory = await Podman.RunAsync(["container", "inspect", "--format", "{{.HostConfig.Memory}}", $"paude-{_name}"]);
        Assert.Equal((300L * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture), memory.StandardOutput.Trim());
        var work = await PaudeCli.RunAsync("exec", _name, "--", "bash", "-c", UpgradeImage.ReadWorkScript);
        Assert.Equal(UpgradeImage.ExpectedWork, work.Stdout);
    }

    [Fact]
    public async Task Upgrade_with_one_limit_option_keeps_the_others_and_status_reports_them()
    {
        var created = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--cpus", "1", "--memory", "512Mi", "--cpu-request", "250m");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("1000000000|536870912|256", await HostConfigAsync());

        var upgraded = await PaudeCli.RunAsync("upgrade", _name, "--memory", "768Mi");
        Assert.True(upgraded.ExitCode == 0, upgraded.ToString());

        // The container really runs with the old CPUs and CPU request (shares = 0.25 × 1024) and the new memory.
        Assert.Equal("1000000000|805306368|256", await HostConfigAsync());
        var status = await PaudeCli.RunAsync("status", _name, "--output", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var limits = status.Json().GetProperty("limits");
        Assert.Equal((1.0, 768L * 1024 * 1024, 2048, 0.25, 0), (limits.GetProperty("cpus").GetDouble(), limits.GetProperty("memoryBytes").GetInt64(),
            limits.GetProperty("pids").GetInt32(), limits.GetProperty("cpuRequest").GetDouble(), limits.GetProperty("gpus").GetInt32()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, limits.GetProperty("memoryRequestBytes").ValueKind);
        var text = await PaudeCli.RunAsync("status", _name);
        Assert.Contains("Limits:          1 CPUs, 768Mi memory, 2048 processes; requests: 0.25 CPUs\n", text.Stdout, StringComparison.Ordinal);
    }

    /// <summary>CPUs (NanoCpus), memory and CPU shares of the agent container as podman reports them.</summary>
    private async Task<string> HostConfigAsync() =>
        (await Podman.RunAsync(["container", "inspect", "--format", "{{.HostConfig.NanoCpus}}|{{.HostConfig.Memory}}|{{.HostConfig.CpuShares}}", $"paude-{_name}"])).StandardOutput.Trim();

    private async Task<string> ContainerIdAsync() =>
        (await Podman.RunAsync(["container", "inspect", "--format", "{{.Id}}", $"paude-{_name}"])).StandardOutput.Trim();
}
