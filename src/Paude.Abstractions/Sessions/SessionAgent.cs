namespace Paude.Sessions;

/// <summary>
/// A coding agent the agent image ships, run with its sandbox configuration by the image's launcher
/// <c>paude-agent-&lt;name&gt;</c> (permission prompts skipped, first-run dialogs, auto-update and telemetry off;
/// see <c>images/agent/agents/</c>). Anything else runs through <see cref="SessionSpec.AgentCommand"/>.
/// </summary>
/// <param name="Name">The agent: one of <see cref="Known"/>.</param>
/// <param name="Arguments">Arguments passed on to the agent (e.g. <c>-p</c> and a task for a headless run).</param>
public sealed record SessionAgent(string Name, IReadOnlyList<string> Arguments)
{
    /// <summary>The agents the agent image can ship (its build selects which: <c>PAUDE_AGENTS</c> in <c>scripts/setup.sh</c>).</summary>
    public static IReadOnlyList<string> Known { get; } = ["claude", "codex"];

    /// <summary>Claude Code, with <paramref name="arguments"/>.</summary>
    public static SessionAgent Claude(params string[] arguments) => new("claude", arguments);

    /// <summary>The argument vector the agent container runs.</summary>
    public IReadOnlyList<string> ToCommand() => ["paude-agent-" + Name, .. Arguments];

    /// <summary>Every problem with this selection (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (!Known.Contains(Name, StringComparer.Ordinal))
        {
            errors.Add($"Agent: unknown agent '{Name}' (known: {string.Join(", ", Known)}; use AgentCommand for anything else)");
        }

        if (Arguments is null || Arguments.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            errors.Add("Agent: arguments must not be null or contain NUL characters");
        }

        return errors;
    }
}
