using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paude.Backends.OpenShift;
using Paude.Credentials;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenShift/Kubernetes backend.</summary>
public static class OpenShiftPaudeBuilderExtensions
{
    /// <summary>
    /// Adds the OpenShift/Kubernetes backend under <paramref name="name"/> (default <c>openshift</c>). The options
    /// are named after the backend and validated on start. Idempotent: a second call with the same name only adds
    /// its <paramref name="configure"/> action. No <c>oc</c> or <c>kubectl</c> is needed at run time.
    /// </summary>
    public static IPaudeBuilder AddOpenShiftBackend(this IPaudeBuilder builder, string name = "openshift", Action<OpenShiftBackendOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var optionsBuilder = builder.Services.AddOptions<OpenShiftBackendOptions>(name);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        var marker = new OpenShiftRegistration(name);
        if (!builder.Services.Any(d => d.ServiceType == typeof(OpenShiftRegistration) && Equals(d.ImplementationInstance, marker)))
        {
            builder.Services.AddSingleton(marker);
            optionsBuilder
                .Validate(o => o.GetErrors().Count == 0, $"OpenShift backend '{name}' options are invalid")
                .ValidateOnStart();
        }

        return builder.AddBackend(name, static (sp, backendName) =>
        {
            var options = sp.GetRequiredService<IOptionsMonitor<OpenShiftBackendOptions>>().Get(backendName);
            var loggerFactory = sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            return OpenShiftBackend.Create(
                backendName,
                options,
                sp.GetService<TimeProvider>() ?? TimeProvider.System,
                loggerFactory.CreateLogger<OpenShiftBackend>(),
                sp.GetService<ICredentialPackager>());
        });
    }

    private sealed record OpenShiftRegistration(string Name);
}
