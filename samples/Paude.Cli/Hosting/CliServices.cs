using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Paude.Backends.OpenShift;
using Paude.Backends.Podman;
using Paude.Errors;

namespace Paude.Cli.Hosting;

/// <summary>Builds the service provider of one invocation: logging on stderr, the SDK and its backends.</summary>
internal static class CliServices
{
    public static ServiceProvider Build(bool verbose, BackendSelection selection, Action<IServiceCollection>? configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(logging => logging
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)

            // Every log line goes to stderr: stdout carries only results (and exec output), so it can be piped.
            .AddProvider(new CliLoggerProvider(Console.Error)));
        var paude = services.AddPaude();
        AddBackends(paude, selection);
        paude.AddPaudeSync();
        paude.AddPaudeCredentials();
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        // ValidateOnStart options are checked here, once, with every error together (there is no host to do it).
        try
        {
            provider.GetService<IStartupValidator>()?.Validate();
        }
        catch (OptionsValidationException error)
        {
            // The options monitor would throw again; the command line's own contribution names the problems.
            provider.Dispose();
            var errors = CliFeatures.OpenShiftBackend && ClusterErrors(error, selection) is { Count: > 0 } found ? found : [.. error.Failures];
            throw new InvalidOptionsException($"Invalid options of backend '{error.OptionsName}'", errors);
        }

        return provider;
    }

    private static IReadOnlyList<string> ClusterErrors(OptionsValidationException error, BackendSelection selection)
    {
        if (error.OptionsType != typeof(OpenShiftBackendOptions))
        {
            return [];
        }

        var cluster = new OpenShiftBackendOptions();
        ApplyCluster(cluster, selection, Environment.GetEnvironmentVariable);
        return cluster.GetErrors();
    }

    /// <summary>
    /// Podman is always registered (first, so it is the default). The openshift backend is registered unless podman
    /// was chosen: its options are validated at start, which loads KubernetesClient, and a podman command should not
    /// pay for that (nor need a kubeconfig). An unknown name still gets the full list of backends in its error. A
    /// build without the backend (<see cref="CliFeatures"/>) never gets here with another name: it hands over first.
    /// </summary>
    private static void AddBackends(IPaudeBuilder paude, BackendSelection selection)
    {
        paude.AddPodmanBackend(BackendSelection.Podman, options => ApplyEnvironment(options, Environment.GetEnvironmentVariable));
        if (CliFeatures.OpenShiftBackend && selection.Backend != BackendSelection.Podman)
        {
            AddOpenShift(paude, selection);
        }
    }

    private static void AddOpenShift(IPaudeBuilder paude, BackendSelection selection) =>
        paude.AddOpenShiftBackend(BackendSelection.OpenShift, options => ApplyCluster(options, selection, Environment.GetEnvironmentVariable));

    /// <summary>
    /// The cluster options of the command line, plus <c>PAUDE_AGENT_IMAGE</c> and <c>PAUDE_PROXY_IMAGE</c> from the
    /// environment (the same overrides the Podman backend takes) and <c>PAUDE_IMAGE_PULL_SECRETS</c> (<c>s1,s2</c>:
    /// existing dockerconfigjson Secrets the session pods pull their images with).
    /// </summary>
    internal static void ApplyCluster(OpenShiftBackendOptions options, BackendSelection selection, Func<string, string?> environment)
    {
        options.KubeconfigPath = selection.Kubeconfig ?? options.KubeconfigPath;
        options.Context = selection.Context ?? options.Context;
        options.Namespace = selection.Namespace ?? options.Namespace;
        options.InCluster = selection.InCluster || options.InCluster;
        if (environment("PAUDE_AGENT_IMAGE") is { Length: > 0 } agent)
        {
            options.AgentImage = agent;
        }

        if (environment("PAUDE_PROXY_IMAGE") is { Length: > 0 } proxy)
        {
            options.ProxyImage = proxy;
        }

        foreach (var secret in (environment("PAUDE_IMAGE_PULL_SECRETS") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            options.ImagePullSecrets.Add(secret);
        }
    }

    /// <summary>
    /// Lets the environment override the Podman backend's defaults: <c>PAUDE_PODMAN_PATH</c>, <c>PAUDE_AGENT_IMAGE</c>,
    /// <c>PAUDE_PROXY_IMAGE</c>, <c>PAUDE_EXTRA_LABELS</c> (<c>key=value,...</c>, put on every resource) and
    /// <c>PAUDE_PROXY_NETWORKS</c> (<c>net1,net2</c>: the networks the proxy joins instead of <c>podman</c>; the demo's
    /// stand-in API is reachable by name on its own network only).
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

        if (environment("PAUDE_PROXY_NETWORKS") is { Length: > 0 } networks)
        {
            options.ProxyNetworks = [.. networks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
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
