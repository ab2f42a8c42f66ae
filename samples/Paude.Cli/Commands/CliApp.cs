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
internal sealed partial class CliApp(CliConsole console, IReadOnlyList<string> args, Action<IServiceCollection>? configureServices)
{
    public Option<string?> Backend { get; } = new("--backend", "-b")
    {
        Description = "The backend that holds the sessions: podman or openshift (default: $PAUDE_BACKEND, else podman).",
        Recursive = true,
    };

    public Option<string?> Kubeconfig { get; } = new("--kubeconfig")
    {
        Description = "openshift backend: the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
        Recursive = true,
    };

    public Option<string?> KubeContext { get; } = new("--context")
    {
        Description = "openshift backend: the kubeconfig context (default: the current context).",
        Recursive = true,
    };

    public Option<string?> Namespace { get; } = new("--namespace", "-n")
    {
        Description = "openshift backend: the namespace the sessions live in (default: the context's namespace, else default).",
        Recursive = true,
    };

    public Option<bool> InCluster { get; } = new("--in-cluster")
    {
        Description = "openshift backend: connect with the pod's service account (inside a cluster) instead of a kubeconfig.",
        Recursive = true,
    };

    public Option<string> OutputFormat { get; } = CreateOutputOption();

    public Option<bool> Verbose { get; } = new("--verbose", "-v")
    {
        Description = "Log debug details (on stderr).",
        Recursive = true,
    };

    public CliConsole Console { get; } = console;

    /// <summary>
    /// Runs <paramref name="body"/> with a fresh service provider and maps every failure to an exit code.
    /// <paramref name="localGit"/>: the command reads the local repository with LibGit2Sharp, whose custom marshalling
    /// NativeAOT does not support (a repository is not found), so a native build hands it over like openshift.
    /// </summary>
    public async Task<int> RunAsync(ParseResult parse, Func<CliContext, CancellationToken, Task<int>> body, CancellationToken cancellationToken, bool localGit = false)
    {
        var output = new CliOutput(Console, parse.GetValue(OutputFormat) == "json");
        var verbose = parse.GetValue(Verbose);
        ServiceProvider? services = null;
        try
        {
            var selection = BackendSelection.Resolve(
                parse.GetValue(Backend), parse.GetValue(Kubeconfig), parse.GetValue(KubeContext), parse.GetValue(Namespace), Environment.GetEnvironmentVariable, parse.GetValue(InCluster));
            if (!CliFeatures.OpenShiftBackend && (selection.Backend != BackendSelection.Podman || localGit))
            {
                ManagedHandoff.Exec(localGit ? "the local git repository" : $"backend '{selection.Backend}'", selection.Backend, args);
            }

            services = CliServices.Build(verbose, selection, configureServices);
            var context = CliContext.Create(services, selection.Backend, output);
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
