using System.CommandLine;
using Paude.Cli.Output;
using Paude.Forwarding;

namespace Paude.Cli.Commands;

/// <summary>
/// <c>paude port-forward NAME L:R [L:R ...]</c>: listens on 127.0.0.1:L (or <c>--address</c>) and forwards each
/// connection to port R on the session's loopback, until Ctrl+C or SIGTERM (exit 0). One line (or JSON object)
/// per forward once it listens, with the real local port when L is 0.
/// </summary>
internal static class PortForwardCommand
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var ports = new Argument<string[]>("ports")
        {
            Description = "LOCAL:SESSION port pairs (LOCAL 0 picks a free port; a single PORT means the same on both sides).",
            Arity = ArgumentArity.OneOrMore,
        };
        var address = new Option<string>("--address") { Description = "Local address to listen on (default 127.0.0.1; anything else exposes the session port to other machines)." };
        var command = new Command("port-forward", "Forward local ports to ports inside a session (its loopback), until Ctrl+C.") { name, ports, address };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var specs = Parse(parse.GetValue(ports) ?? [], parse.GetValue(address));
            var forwards = new List<IPortForward>();
            try
            {
                foreach (var spec in specs)
                {
                    var forward = await ctx.Backend.ForwardPortAsync(session, spec, token).ConfigureAwait(false);
                    forwards.Add(forward);
                    var view = new PortForwardView(session.Value, ctx.Backend.Name, forward.LocalEndPoint.Address.ToString(), forward.LocalEndPoint.Port, forward.SessionPort);
                    ctx.Output.Write(view, CliJsonContext.Output.PortForwardView, w => w.WriteLine($"Forwarding {view.LocalAddress}:{view.LocalPort} -> {session}:{view.SessionPort}"));
                    await ctx.Console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await ctx.Console.Error.WriteLineAsync("Ctrl+C stops.").ConfigureAwait(false);
                await Task.WhenAny(forwards.Select(f => f.Completion)).WaitAsync(token).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested && forwards.Count == specs.Count)
            {
                return ExitCodes.Ok;
            }
            finally
            {
                foreach (var forward in forwards)
                {
                    await forward.DisposeAsync().ConfigureAwait(false);
                }
            }
        }, ct));
        yield return command;
    }

    /// <summary>Every pair parsed, or one error listing the problems of all of them.</summary>
    private static List<PortForwardSpec> Parse(string[] pairs, string? address)
    {
        var specs = new List<PortForwardSpec>();
        var errors = new List<string>();
        System.Net.IPAddress? bind = null;
        if (address is not null && !System.Net.IPAddress.TryParse(address, out bind))
        {
            errors.Add($"--address: '{address}' is not an IP address");
        }

        foreach (var pair in pairs)
        {
            try
            {
                specs.Add(PortForwardSpec.Parse(pair) with { BindAddress = bind ?? System.Net.IPAddress.Loopback });
            }
            catch (Errors.InvalidPortForwardException e)
            {
                errors.AddRange(e.Errors);
            }
        }

        return errors.Count == 0 ? specs : throw new Errors.InvalidPortForwardException(errors);
    }
}
