using Microsoft.Extensions.DependencyInjection;
using Paude.Cli.Hosting;
using Paude.Cli.Output;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Cli.Commands;

/// <summary>What every command action needs: the resolved backend, output, progress and the services.</summary>
internal sealed class CliContext(IServiceProvider services, Lazy<ISessionBackend> backend, CliOutput output, ProgressReporter progress)
{
    public IServiceProvider Services { get; } = services;

    /// <summary>Resolved on first use, so a bad session name is reported before an unknown backend.</summary>
    public ISessionBackend Backend => backend.Value;

    public CliOutput Output { get; } = output;

    public ProgressReporter Progress { get; } = progress;

    public CliConsole Console => Output.Console;

    public static CliContext Create(IServiceProvider services, string? backendName, CliOutput output)
    {
        var backend = new Lazy<ISessionBackend>(() => services.GetRequiredService<ISessionBackendProvider>().GetBackend(backendName));
        var progress = new ProgressReporter(output.Console, services.GetRequiredService<TimeProvider>(), enabled: !output.IsJson);
        return new CliContext(services, backend, output, progress);
    }
}
