using Paude.Errors;
using Paude.Sessions;

namespace Paude.Tests.Sessions;

public sealed class SessionAgentTests
{
    [Fact]
    public void TheDefaultCommandIsClaudeCodesSandboxLauncher()
    {
        var spec = new SessionSpec { Name = SessionName.Parse("ok") };
        Assert.Equal(["paude-agent-claude"], spec.ResolveAgentCommand());
    }

    [Fact]
    public void AKnownAgentRunsItsLauncherWithItsArgumentsAndReplacesTheCommand()
    {
        var spec = new SessionSpec { Name = SessionName.Parse("ok"), AgentCommand = ["bash"], Agent = new SessionAgent("codex", ["exec", "fix it"]) };
        Assert.Empty(spec.GetErrors());
        Assert.Equal(["paude-agent-codex", "exec", "fix it"], spec.ResolveAgentCommand());
        Assert.Equal(["paude-agent-claude", "-p", "a b"], SessionAgent.Claude("-p", "a b").ToCommand());
    }

    [Fact]
    public void AnUnknownAgentAndBadArgumentsAreReportedTogether()
    {
        var spec = new SessionSpec { Name = SessionName.Parse("ok"), Agent = new SessionAgent("../bin/sh", ["ok", "nul\0"]), User = "root" };
        var errors = spec.GetErrors();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Agent: unknown agent '../bin/sh' (known: claude, codex", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Agent: arguments", StringComparison.Ordinal));
        Assert.Equal(errors, Assert.Throws<InvalidSessionSpecException>(spec.Validate).Errors);
    }
}
