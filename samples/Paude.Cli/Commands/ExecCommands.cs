using System.CommandLine;
using System.Text;
using Paude.Cli.Hosting.Terminal;
using Paude.Cli.Output;
using Paude.Cli.Support;
using Paude.Execution;

namespace Paude.Cli.Commands;

/// <summary>exec (run a command, stream its output, pass its exit code on) and connect (attach to the agent's tmux).</summary>
internal static class ExecCommands
{
    public static IEnumerable<Command> Create(CliApp app)
    {
        yield return ExecCommand(app);
        yield return ConnectCommand(app);
    }

    private static Command ExecCommand(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var argv = new Argument<string[]>("command")
        {
            Description = "The command and its arguments, after '--' (an argument vector; no shell is involved unless you run one).",
            Arity = ArgumentArity.OneOrMore,
        };
        var workdir = new Option<string?>("--workdir", "-w") { Description = "Working directory in the container (default: the workspace)." };
        var user = new Option<string?>("--user", "-u") { Description = "Run as UID[:GID] instead of the session user." };
        var env = new Option<string[]>("--env", "-e") { Description = "Extra environment KEY=VALUE for this command. Repeatable." };
        var interactive = new Option<bool>("--interactive", "-i") { Description = "Forward stdin even when it is a terminal (it is always forwarded when redirected)." };
        var command = new Command("exec", "Run a command in a session: stdout and stderr stream live, stdin is forwarded, and paude exits with the command's exit code.")
        {
            name, argv, workdir, user, env, interactive,
        };
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            var forwardStdin = parse.GetValue(interactive) || ctx.Console.IsInputRedirected;
            var spec = new ProcessSpec(parse.GetValue(argv) ?? [])
            {
                WorkingDirectory = parse.GetValue(workdir),
                User = parse.GetValue(user),
                Environment = parse.GetValue(env) is { Length: > 0 } e ? EnvironmentPairs.Parse(e) : null,
                RedirectStandardInput = forwardStdin,
            };
            await using var process = await ctx.Backend.StartProcessAsync(session, spec, token).ConfigureAwait(false);
            return ctx.Output.IsJson
                ? await RunCapturedAsync(ctx, session, process, forwardStdin, token).ConfigureAwait(false)
                : await RunStreamingAsync(ctx, process, forwardStdin, token).ConfigureAwait(false);
        }, ct));
        return command;
    }

    private static async Task<int> RunStreamingAsync(CliContext ctx, ISessionProcess process, bool forwardStdin, CancellationToken token)
    {
        var stdout = PumpAsync(process.StandardOutput, ctx.Console.StandardOutput, token);
        var stderr = PumpAsync(process.StandardError, ctx.Console.StandardError, token);
        if (forwardStdin)
        {
            ForwardStdin(ctx, process, token);
        }

        var exitCode = await process.WaitForExitAsync(token).ConfigureAwait(false);
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        return exitCode;
    }

    private static async Task<int> RunCapturedAsync(CliContext ctx, string session, ISessionProcess process, bool forwardStdin, CancellationToken token)
    {
        using var stdoutBuffer = new MemoryStream();
        using var stderrBuffer = new MemoryStream();
        var stdout = PumpAsync(process.StandardOutput, stdoutBuffer, token);
        var stderr = PumpAsync(process.StandardError, stderrBuffer, token);
        if (forwardStdin)
        {
            ForwardStdin(ctx, process, token);
        }

        var exitCode = await process.WaitForExitAsync(token).ConfigureAwait(false);
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        var view = new ExecView(session, ctx.Backend.Name, exitCode, Decode(stdoutBuffer), Decode(stderrBuffer));
        ctx.Output.Write(view, CliJsonContext.Output.ExecView, _ => { });
        return exitCode;
    }

    // Copies chunk by chunk and flushes each one, so output shows up as the command writes it.
    private static async Task PumpAsync(Stream from, Stream to, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, token).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
            await to.FlushAsync(token).ConfigureAwait(false);
        }
    }

    // Not awaited: reading a terminal cannot be cancelled, and the command may end without reading all its input.
    // End-of-file on our stdin is passed on by closing the command's stdin.
    private static void ForwardStdin(CliContext ctx, ISessionProcess process, CancellationToken token) =>
        _ = Task.Run(
            async () =>
            {
                try
                {
                    await ctx.Console.StandardInput.CopyToAsync(process.StandardInput, token).ConfigureAwait(false);
                    await process.StandardInput.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // The command stopped reading (or ended): the rest of our input is not wanted.
                }
            },
            CancellationToken.None);

    private static string Decode(MemoryStream buffer) => Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);

    private static Command ConnectCommand(CliApp app)
    {
        var name = SessionCommands.NameArgument();
        var command = new Command("connect", "Attach this terminal to the agent's tmux session (detach with Ctrl+b d).") { name };
        command.Aliases.Add("attach");
        command.SetAction((parse, ct) => app.RunAsync(parse, async (ctx, token) =>
        {
            var session = SessionCommands.ParseName(parse.GetValue(name));
            using var terminal = new ConsoleTerminal();
            return await ctx.Backend.AttachAsync(session, terminal, token).ConfigureAwait(false);
        }, ct));
        return command;
    }
}
