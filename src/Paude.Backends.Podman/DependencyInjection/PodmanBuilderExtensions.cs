using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.Podman;
using Paude.Backends.Podman.Backend;
using Paude.Backends.Podman.Cli;
using Paude.Credentials;
using Paude.DependencyInjection;
using Paude.Errors;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Podman backend.</summary>
public static class PodmanBuilderExtensions
{
    /// <summary>
    /// Adds a Podman backend named <paramref name="name"/> with its own options (named options, validated at start-up
    /// with every problem reported together). Several Podman backends with different names can coexist; registering
    /// the same name again only adds its <paramref name="configure"/> action, and a name another kind of backend holds
    /// throws <see cref="InvalidOptionsException"/>. The clock is the registered <see cref="TimeProvider"/>, else
    /// <see cref="TimeProvider.System"/>.
    /// </summary>
    public static IPaudeBuilder AddPodmanBackend(this IPaudeBuilder builder, string name = "podman", Action<PodmanBackendOptions>? configure = null) =>
        BackendRegistration.Add(builder, "Podman", name, configure, o => o.GetErrors(), (sp, key, opts, time) =>
        {
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger("Paude.Backends.Podman") ?? NullLogger.Instance;
            return new PodmanBackend(key, new PodmanCli(opts.PodmanPath, key), Freeze(opts), sp.GetService<ICredentialPackager>(), time, logger);
        });

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
}
