using System.CommandLine;
using Paude.Sessions;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude upgrade NAME [--image I] [--proxy-image I]</c>: re-creates the session's containers/pods on the given
/// images (the current ones when left out) keeping the workspace, agent state and sync records; rerun after an
/// interruption to finish it (<see cref="ISessionBackend.UpgradeAsync"/>).
/// </summary>
internal static class UpgradeCommand
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var image = new Option<string?>("--image") { Description = "The new agent image (default: keep the current one)." };
        var proxyImage = new Option<string?>("--proxy-image") { Description = "The new egress proxy image (default: keep the current one)." };
        var command = new Command(
            "upgrade",
            "Re-create a session's containers on new images, keeping its workspace, agent state and sync records. Crash-safe: " +
            "an interrupted upgrade is finished by running it again. Refuses while a sync of the session runs (exit 11).")
        {
            name, image, proxyImage,
        };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var upgrade = new SessionUpgrade { AgentImage = parse.GetValue(image), ProxyImage = parse.GetValue(proxyImage) };
            upgrade.Validate();
            var info = await ctx.Progress.RunAsync($"Upgrading session '{session}'", c => ctx.Backend.UpgradeAsync(session, upgrade, c), token).ConfigureAwait(false);
            SessionCommands.WriteSession(ctx, info);
            return Output.ExitCodes.Ok;
        }, ct));
        yield return command;
    }
}
