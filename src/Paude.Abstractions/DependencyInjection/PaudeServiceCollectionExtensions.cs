using Microsoft.Extensions.DependencyInjection.Extensions;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Paude SDK.</summary>
public static class PaudeServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Paude core services and returns a builder that backends extend
    /// (<c>services.AddPaude().AddPodmanBackend()</c>). Idempotent.
    /// </summary>
    public static IPaudeBuilder AddPaude(this IServiceCollection services, Action<PaudeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISessionBackendProvider, SessionBackendProvider>();
        var optionsBuilder = services.AddOptions<PaudeOptions>();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(PaudeMarker)))
        {
            services.AddSingleton<PaudeMarker>();
            optionsBuilder.Validate(o => o.GetErrors().Count == 0, "PaudeOptions are invalid").ValidateOnStart();
        }

        return new PaudeBuilder(services);
    }

    /// <summary>
    /// Registers a backend under <paramref name="name"/> (used by backend packages). Registering the same name
    /// twice keeps the first registration.
    /// </summary>
    public static IPaudeBuilder AddBackend<TBackend>(this IPaudeBuilder builder, string name, Func<IServiceProvider, string, TBackend> factory)
        where TBackend : class, ISessionBackend
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (builder.Services.Any(d => d.ServiceType == typeof(BackendRegistration) && d.ImplementationInstance is BackendRegistration r && r.Name == name))
        {
            return builder;
        }

        builder.Services.AddSingleton(new BackendRegistration(name));
        builder.Services.AddKeyedSingleton<ISessionBackend>(name, (sp, key) => factory(sp, (string)key!));
        return builder;
    }

    private sealed class PaudeBuilder(IServiceCollection services) : IPaudeBuilder
    {
        public IServiceCollection Services { get; } = services;
    }

    private sealed class PaudeMarker;
}
