using System.CommandLine;
using Paude.Cli.Support;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude upgrade NAME [--image I] [--proxy-image I] [--env K=V…] [--allowed-domains …] [--agent …] [--memory …]
/// [--node-selector K=V… | --clear-node-selector] [--toleration T… | --clear-tolerations]</c>:
/// re-creates the session's containers/pods on the given images and spec (what is left out stays) keeping the
/// workspace, agent state and sync records; rerun after an interruption to finish it
/// (<see cref="ISessionBackend.UpgradeAsync"/>). The options are <c>create</c>'s, parsed the same way; the values are
/// checked by the spec's rules, all problems listed, nothing changed.
/// </summary>
internal static class UpgradeCommand
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var image = new Option<string?>("--image") { Description = "The new agent image (default: keep the current one)." };
        var proxyImage = new Option<string?>("--proxy-image") { Description = "The new egress proxy image (default: keep the current one)." };
        var env = new Option<string[]>("--env", "-e")
        {
            Description = "The agent's extra environment KEY=VALUE from now on, as a whole: variables not given are removed (not for secrets). Repeatable. Default: keep the current one.",
        };
        var clearEnv = new Option<bool>("--clear-env") { Description = "Remove the agent's whole extra environment." };
        var domains = new Option<string[]>("--allowed-domains", "-d")
        {
            Description = "The allow-list from now on, replacing the current one (as create's --allowed-domains). Repeatable, comma-separated. Default: keep the current one.",
            AllowMultipleArgumentsPerToken = true,
        };
        var agent = new Option<string?>("--agent-command") { Description = "The agent command line from now on, split with shell quoting rules. Default: keep the current one." };
        var agentName = new Option<string?>("--agent") { Description = "A known agent (claude, codex) to run from now on. Not with --agent-command." };
        var agentArgs = new Option<string?>("--agent-args") { Description = "Arguments for --agent, split with shell quoting rules." };
        var command = new Command(
            "upgrade",
            "Re-create a session's containers on new images or spec (environment, allow-list, agent, limits, a bigger workspace where the " +
            "storage can grow, node placement on Kubernetes), keeping its workspace, agent state and sync records. Each resource option changes " +
            "only its own part of the agent's limits; the others keep their current values. Crash-safe: an interrupted upgrade is finished by " +
            "running it again. Refuses while a " +
            "sync of the session runs (exit 11).")
        {
            name, image, proxyImage, env, clearEnv, domains, agent, agentName, agentArgs,
        };
        var resources = new ResourceOptions();
        foreach (var option in resources.ForUpgrade)
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.GetResult(env) is not null && result.GetValue(clearEnv))
            {
                result.AddError("--env and --clear-env cannot be combined: use one of them.");
            }
        });
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            // A limit option changes only its own part: the others are the ones in force, read first. (An upgrade's
            // limits are a whole; another upgrade of the same session in between would be overwritten, as with
            // any other option.)
            var current = resources.AnyLimitGiven(parse) ? (await ctx.Backend.GetAsync(session, token).ConfigureAwait(false))?.Limits : null;
            var upgrade = resources.Apply(parse, new SessionUpgrade
            {
                AgentImage = parse.GetValue(image),
                ProxyImage = parse.GetValue(proxyImage),
                Environment = parse.GetValue(clearEnv) ? new Dictionary<string, string>() : parse.GetValue(env) is { Length: > 0 } pairs ? EnvironmentPairs.Parse(pairs) : null,
                Egress = parse.GetValue(domains) is { Length: > 0 } d ? EgressPolicy.Parse(d) : null,
                AgentCommand = parse.GetValue(agent) is { } a ? ArgvSplitter.Split(a) : null,
                Agent = AgentOption.Parse(parse.GetValue(agentName), parse.GetValue(agentArgs), parse.GetValue(agent) is not null),
            }, current);
            // The backend checks it before it touches anything, with what it cannot do, all problems together.
            var info = await ctx.Progress.RunAsync($"Upgrading session '{session}'", c => ctx.Backend.UpgradeAsync(session, upgrade, c), token).ConfigureAwait(false);
            SessionCommands.WriteSession(ctx, info);
            return Output.ExitCodes.Ok;
        }, ct));
        yield return command;
    }
}
