using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paude.Backends.Podman;
using Paude.Backends.Podman.Backend;
using Paude.Backends.Podman.Cli;
using Paude.Credentials;
using Paude.Errors;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Podman backend.</summary>
public static class PodmanBuilderExtensions
{
    /// <summary>
    /// Adds a Podman backend named <paramref name="name"/> with its own options (named options, validated at start-up).
    /// Several Podman backends with different names can coexist; registering the same name again is a no-op.
    /// </summary>
    public static IPaudeBuilder AddPodmanBackend(this IPaudeBuilder builder, string name = "podman", Action<PodmanBackendOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(PodmanBackendMarker) && d.ImplementationInstance is PodmanBackendMarker m && m.Name == name))
        {
            return builder;
        }

        services.AddSingleton(new PodmanBackendMarker(name));
        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<PodmanBackendOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<PodmanBackendOptions>>(new PodmanOptionsValidator(name));
        options.ValidateOnStart();
        return builder.AddBackend(name, (sp, key) =>
        {
            var opts = sp.GetRequiredService<IOptionsMonitor<PodmanBackendOptions>>().Get(key);
            var errors = opts.GetErrors();
            if (errors.Count > 0)
            {
                throw new InvalidOptionsException($"Invalid options of Podman backend '{key}'", errors);
            }

            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger("Paude.Backends.Podman") ?? NullLogger.Instance;
            return new PodmanBackend(key, new PodmanCli(opts.PodmanPath, key), Freeze(opts), sp.GetService<ICredentialPackager>(), sp.GetRequiredService<TimeProvider>(), logger);
        });
    }

    /// <summary>A private copy so later changes to the options object cannot change a running backend.</summary>
    private static PodmanBackendOptions Freeze(PodmanBackendOptions o) => new()
    {
        PodmanPath = o.PodmanPath,
        AgentImage = o.AgentImage,
        ProxyImage = o.ProxyImage,
        DefaultUser = o.DefaultUser,
        ProxyNetworks = [.. o.ProxyNetworks],
        StopTimeout = o.StopTimeout,
        ReadyTimeout = o.ReadyTimeout,
        ExtraLabels = new Dictionary<string, string>(o.ExtraLabels),
    };

    private sealed record PodmanBackendMarker(string Name);

    private sealed class PodmanOptionsValidator(string name) : IValidateOptions<PodmanBackendOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, PodmanBackendOptions options)
        {
            if (optionsName != name)
            {
                return ValidateOptionsResult.Skip;
            }

            var errors = options.GetErrors();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"Podman backend '{name}': {e}"));
        }
    }
}
