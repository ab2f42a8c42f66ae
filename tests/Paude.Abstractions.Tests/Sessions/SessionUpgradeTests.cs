using Paude.Egress;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Sessions;

/// <summary>An upgrade is checked by the spec's own rules for each value it sets, every problem at once.</summary>
public sealed class SessionUpgradeTests
{
    [Fact]
    public void AnEmptyUpgradeIsValidAndKeepsTheCommand()
    {
        var upgrade = new SessionUpgrade();
        Assert.Empty(upgrade.GetErrors());
        Assert.Null(upgrade.ResolveAgentCommand());
    }

    [Fact]
    public void EveryValueSetIsCheckedAndEveryProblemIsListedTogether()
    {
        var upgrade = new SessionUpgrade
        {
            AgentImage = "two words",
            Environment = new Dictionary<string, string> { ["A=B"] = "x", ["OK"] = "fine" },
            AgentCommand = [""],
            Limits = new SessionLimits { MemoryBytes = 1 },
            WorkspaceSizeBytes = 10,
        };

        var invalid = Assert.Throws<InvalidOptionsException>(upgrade.Validate);

        Assert.Equal(5, invalid.Errors.Count);
        Assert.Contains(invalid.Errors, e => e.StartsWith("AgentImage:", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("Environment: 'A=B'", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("AgentCommand:", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("Limits.MemoryBytes:", StringComparison.Ordinal));
        Assert.Contains(invalid.Errors, e => e.StartsWith("WorkspaceSizeBytes:", StringComparison.Ordinal));
    }

    [Fact]
    public void AgentAndAgentCommandExcludeEachOtherAndAnAgentResolvesToItsLauncher()
    {
        Assert.Contains(new SessionUpgrade { Agent = SessionAgent.Claude(), AgentCommand = ["bash"] }.GetErrors(), e => e.StartsWith("Agent:", StringComparison.Ordinal));
        Assert.Equal(["paude-agent-codex", "exec"], new SessionUpgrade { Agent = new SessionAgent("codex", ["exec"]) }.ResolveAgentCommand());
        Assert.Equal(["bash"], new SessionUpgrade { AgentCommand = ["bash"] }.ResolveAgentCommand());
    }

    [Fact]
    public void PlacementIsCheckedByTheSpecsRulesWithEveryOtherProblem()
    {
        var upgrade = new SessionUpgrade
        {
            NodeSelector = new Dictionary<string, string> { ["bad key!"] = "ok", ["pool"] = "-bad-", ["fine"] = null! },
            Tolerations = [new SessionToleration("k", "Exists", "v"), null!],
            AgentImage = "a b",
        };

        var invalid = Assert.Throws<InvalidOptionsException>(upgrade.Validate);

        Assert.Equal(
            [
                "AgentImage: must not be blank or contain whitespace or control characters",
                "NodeSelector: key 'bad key!' is not a Kubernetes label key",
                "NodeSelector: value '-bad-' of 'pool' is not a Kubernetes label value",
                "NodeSelector: value '' of 'fine' is not a Kubernetes label value",
                "Tolerations[0]: a value is not allowed with the Exists operator",
                "Tolerations[1]: must not be null",
            ],
            invalid.Errors);
    }

    [Fact]
    public void AnEmptyPlacementIsValidItRemovesTheCurrentOne()
    {
        Assert.Empty(new SessionUpgrade { NodeSelector = new Dictionary<string, string>(), Tolerations = [] }.GetErrors());
        Assert.Empty(new SessionUpgrade
        {
            NodeSelector = new Dictionary<string, string> { ["node.kubernetes.io/instance-type"] = "g5.xlarge" },
            Tolerations = [new SessionToleration("nvidia.com/gpu", "Exists", null, "NoSchedule")],
        }.GetErrors());
    }

    [Fact]
    public void ValuesSetToWhatASpecHoldsAreValid()
    {
        var upgrade = new SessionUpgrade
        {
            Environment = new Dictionary<string, string>(),
            Egress = EgressPolicy.Parse([]),
            Limits = new SessionLimits { MemoryBytes = 128L << 20, Gpus = 1 },
            WorkspaceSizeBytes = 20L << 30,
            Agent = SessionAgent.Claude("-p", "task"),
        };

        Assert.Empty(upgrade.GetErrors());
    }
}
