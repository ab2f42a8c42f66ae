using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Commands;

/// <summary>The <c>paude</c> command tree and its entry point.</summary>
internal static class PaudeCommandLine
{
    /// <summary>
    /// Parses and runs <paramref name="args"/>. Usage errors exit with <see cref="ExitCodes.InvalidInput"/>.
    /// <paramref name="handleTermination"/> turns Ctrl+C/SIGTERM into cancellation of the running command
    /// (the real process only: tests run many invocations in one process).
    /// </summary>
    public static async Task<int> InvokeAsync(
        string[] args,
        CliConsole console,
        Action<IServiceCollection>? configureServices = null,
        bool handleTermination = false,
        CancellationToken cancellationToken = default)
    {
        var app = new CliApp(console, args, configureServices);
        var root = Build(app);
        var parse = root.Parse(args);
        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,

            // The default exception handler prints stack traces; CliApp.RunAsync already maps every error.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = handleTermination ? TimeSpan.FromSeconds(10) : null,
        };
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors.Select(e => e.Message).Distinct(StringComparer.Ordinal))
            {
                await console.Error.WriteLineAsync($"paude: error: {error}").ConfigureAwait(false);
            }

            await console.Error.WriteLineAsync("Run 'paude --help' (or 'paude <command> --help') for usage.").ConfigureAwait(false);
            return ExitCodes.InvalidInput;
        }

        return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    internal static RootCommand Build(CliApp app)
    {
        var root = new RootCommand(
            "paude: run AI coding agents in isolated, persistent containers (Podman or OpenShift/Kubernetes) and move their work back safely.")
        {
            app.Backend,
            app.Kubeconfig,
            app.KubeContext,
            app.Namespace,
            app.InCluster,
            app.OutputFormat,
            app.Verbose,
        };
        foreach (var command in SessionCommands.Create(app)
                     .Concat(UpgradeCommand.Create(app))
                     .Concat(ExecCommands.Create(app))
                     .Concat(PortForwardCommand.Create(app))
                     .Concat(ImageCommands.Create(app))
                     .Concat(EgressCommands.Create(app))
                     .Concat(FileCommands.Create(app))
                     .Concat(SyncCommands.Create(app))
                     .Concat(CredentialCommands.Create(app)))
        {
            root.Subcommands.Add(command);
        }

        return root;
    }
}
