using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.Backends.OpenShift;
using Paude.Credentials;
using Paude.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenShift/Kubernetes backend.</summary>
public static class OpenShiftPaudeBuilderExtensions
{
    /// <summary>
    /// Adds the OpenShift/Kubernetes backend under <paramref name="name"/> (default <c>openshift</c>). The options
    /// are named after the backend and validated on start with every problem reported together. Registering the same
    /// name again only adds its <paramref name="configure"/> action; a name another kind of backend holds throws
    /// <see cref="Paude.Errors.InvalidOptionsException"/>. The clock is the registered <see cref="TimeProvider"/>,
    /// else <see cref="TimeProvider.System"/>. No <c>oc</c> or <c>kubectl</c> is needed at run time.
    /// </summary>
    public static IPaudeBuilder AddOpenShiftBackend(this IPaudeBuilder builder, string name = "openshift", Action<OpenShiftBackendOptions>? configure = null) =>
        BackendRegistration.Add(builder, "OpenShift", name, configure, o => o.GetErrors(), static (sp, key, options, time) =>
        {
            var loggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return OpenShiftBackend.Create(key, options, time, loggerFactory.CreateLogger<OpenShiftBackend>(), sp.GetService<ICredentialPackager>());
        });
}
