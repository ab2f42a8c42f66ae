using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paude.Backends.Podman;

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

    private static void AddBackends(IPaudeBuilder paude) =>
        paude.AddPodmanBackend("podman", options => ApplyEnvironment(options, Environment.GetEnvironmentVariable));

    /// <summary>
    /// Lets the environment override the Podman backend's defaults: <c>PAUDE_PODMAN_PATH</c>, <c>PAUDE_AGENT_IMAGE</c>,
    /// <c>PAUDE_PROXY_IMAGE</c> and <c>PAUDE_EXTRA_LABELS</c> (<c>key=value,...</c>, put on every resource).
    /// </summary>
    internal static void ApplyEnvironment(PodmanBackendOptions options, Func<string, string?> environment)
    {
        if (environment("PAUDE_PODMAN_PATH") is { Length: > 0 } podman)
        {
            options.PodmanPath = podman;
        }

        if (environment("PAUDE_AGENT_IMAGE") is { Length: > 0 } agent)
        {
            options.AgentImage = agent;
        }

        if (environment("PAUDE_PROXY_IMAGE") is { Length: > 0 } proxy)
        {
            options.ProxyImage = proxy;
        }

        foreach (var pair in (environment("PAUDE_EXTRA_LABELS") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                options.ExtraLabels[pair[..eq]] = pair[(eq + 1)..];
            }
        }
    }
}
