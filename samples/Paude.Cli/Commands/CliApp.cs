using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Cli.Hosting;
using Paude.Cli.Output;

namespace Paude.Cli.Commands;

/// <summary>
/// One invocation of the CLI: the global options, the console and the error boundary every command action runs
/// inside (typed errors become a message on stderr and a documented exit code; never a stack trace).
/// </summary>
internal sealed partial class CliApp(CliConsole console, Action<IServiceCollection>? configureServices)
{
    public Option<string?> Backend { get; } = new("--backend", "-b")
    {
        Description = "The backend that holds the sessions (default: the first registered, podman).",
        Recursive = true,
    };

    public Option<string> OutputFormat { get; } = CreateOutputOption();

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log debug details (on stderr).",
        Recursive = true,
    };

    public CliConsole Console { get; } = console;

    /// <summary>Runs <paramref name="body"/> with a fresh service provider and maps every failure to an exit code.</summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        var output = new CliOutput(Console, parse.GetValue(OutputFormat) == "json");
        var verbose = parse.GetValue(Verbose);
        ServiceProvider? services = null;
        try
        {
            services = CliServices.Build(verbose, configureServices);
            var context = CliContext.Create(services, parse.GetValue(Backend), output);
            return await body(context, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            if (verbose && services?.GetService<ILogger<CliApp>>() is { } logger)
            {
                LogFailure(logger, error);
            }

            return output.WriteError(error is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? new TimeoutException(error.Message, error)
                : error);
        }
        finally
        {
            if (services is not null)
            {
                await services.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static Option<string> CreateOutputOption()
    {
        var option = new Option<string>("--output", "-o")
        {
            Description = "Output format: human (default) or json (stable field names, for scripts).",
            Recursive = true,
            DefaultValueFactory = _ => "human",
        };
        option.AcceptOnlyFromAmong("human", "json");
        return option;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Command failed")]
    private static partial void LogFailure(ILogger logger, Exception error);
}
