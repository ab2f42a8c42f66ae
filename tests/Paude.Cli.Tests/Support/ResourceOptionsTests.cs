using System.CommandLine;
using Paude.Cli.Commands;
using Paude.Cli.Output;
using Paude.Cli.Support;
using Paude.Sessions;

namespace Paude.Cli.Tests.Support;

/// <summary>
/// <c>upgrade</c>'s resource options are applied onto the limits in force: each changes only its own part, none
/// leaves the limits alone (null: kept), malformed values are a usage error; and how <c>status</c> prints limits.
/// </summary>
public sealed class ResourceOptionsTests
{
    private const long MiB = 1024 * 1024;

    private static readonly SessionLimits Current = new() { Cpus = 1, MemoryBytes = 512 * MiB, Pids = 300, CpuRequest = 0.25, MemoryRequestBytes = 128 * MiB, Gpus = 2 };

    [Fact]
    public void Each_option_changes_only_its_own_part_of_the_limits_in_force()
    {
        Assert.Equal(Current with { MemoryBytes = 768 * MiB }, ForUpgrade(Current, "--memory", "768Mi").Limits);
        Assert.Equal(Current with { CpuRequest = 0.5, Gpus = SessionLimits.AllGpus }, ForUpgrade(Current, "--cpu-request", "500m", "--gpus", "all").Limits);
        Assert.Equal(Current with { Cpus = 1.5, Pids = 64, MemoryRequestBytes = 256 * MiB }, ForUpgrade(Current, "--cpus", "1.5", "--pids", "64", "--memory-request", "256Mi").Limits);
    }

    [Fact]
    public void Without_a_limit_option_the_limits_are_kept_and_without_current_ones_the_defaults_stand_in()
    {
        var sizeOnly = ForUpgrade(Current, "--workspace-size", "2Gi");
        Assert.Null(sizeOnly.Limits);
        Assert.Equal(2048 * MiB, sizeOnly.WorkspaceSize);
        Assert.Equal((null, null), ForUpgrade(Current));
        Assert.Equal(SessionLimits.Default with { MemoryBytes = 768 * MiB }, ForUpgrade(null, "--memory", "768Mi").Limits);
    }

    [Fact]
    public void Malformed_values_are_a_usage_error_listing_each()
    {
        var e = Assert.Throws<CliUsageException>(() => ForUpgrade(Current, "--memory", "lots", "--gpus", "some"));
        Assert.Contains("--memory: 'lots'", e.Message, StringComparison.Ordinal);
        Assert.Contains("--gpus: 'some'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_prints_the_limits_requests_and_gpus()
    {
        Assert.Equal("-", SessionCommands.FormatLimits(null));
        Assert.Equal("1 CPUs, 512Mi memory, 300 processes; requests: 0.25 CPUs, 128Mi memory; GPUs: 2", Format(Current));
        Assert.Equal("2 CPUs, 4Gi memory, 2048 processes; requests: backend default", Format(SessionLimits.Default));
        Assert.Equal("0.333 CPUs, 100000001 memory, 16 processes; requests: backend default; GPUs: all",
            Format(new SessionLimits { Cpus = 0.333, MemoryBytes = 100_000_001, Pids = 16, Gpus = SessionLimits.AllGpus }));
    }

    private static string Format(SessionLimits limits) =>
        SessionCommands.FormatLimits(SessionView.From(new SessionInfo(SessionName.Parse("s"), "b", SessionStatus.Running) { Limits = limits }).Limits);

    private static (SessionLimits? Limits, long? WorkspaceSize) ForUpgrade(SessionLimits? current, params string[] args)
    {
        var resources = new ResourceOptions();
        var command = new Command("upgrade");
        foreach (var option in resources.ForUpgrade)
        {
            command.Options.Add(option);
        }

        var upgrade = resources.Apply(command.Parse(args), new SessionUpgrade(), current);
        return (upgrade.Limits, upgrade.WorkspaceSizeBytes);
    }
}
