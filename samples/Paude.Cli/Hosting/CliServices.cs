using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Paude.Cli.Hosting;

/// <summary>Builds the service provider of one invocation: logging on stderr, the SDK and its backends.</summary>
internal static class CliServices
{
    public static ServiceProvider Build(bool verbose, Action<IServiceCollection>? configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)

            // Every log line goes to stderr: stdout carries only results (and exec output), so it can be piped.
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var paude = services.AddPaude();
        AddBackends(paude);
        paude.AddPaudeSync();
        paude.AddPaudeCredentials();
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // ValidateOnStart options are checked here, once, with every error together (there is no host to do it).
        provider.GetService<IStartupValidator>()?.Validate();
        return provider;
    }

    private static void AddBackends(IPaudeBuilder paude)
    {
        _ = paude;
    }
}
