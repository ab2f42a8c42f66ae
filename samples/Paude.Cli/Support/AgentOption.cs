using Paude.Errors;
using Paude.Sessions;

namespace Paude.Cli.Support;

/// <summary>
/// <c>--agent NAME [--agent-args "..."]</c> as a <see cref="SessionAgent"/>: none when neither is given (the spec's
/// default command runs Claude Code); --agent with --agent-command, or --agent-args alone, is refused.
/// </summary>
internal static class AgentOption
{
    public static SessionAgent? Parse(string? name, string? arguments, bool hasAgentCommand)
    {
        var errors = new List<string>();
        if (name is not null && hasAgentCommand)
        {
            errors.Add("Agent: --agent and --agent-command exclude each other");
        }

        if (name is null && arguments is not null)
        {
            errors.Add("Agent: --agent-args needs --agent");
        }

        if (errors.Count > 0)
        {
            throw new InvalidSessionSpecException(errors);
        }

        return name is null ? null : new SessionAgent(name, arguments is null ? [] : ArgvSplitter.Split(arguments));
    }
}
