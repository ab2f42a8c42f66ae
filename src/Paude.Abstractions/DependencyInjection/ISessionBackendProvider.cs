using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.DependencyInjection;

/// <summary>Resolves registered backends by name; several backends can live side by side.</summary>
public interface ISessionBackendProvider
{
    /// <summary>The names of the registered backends, in registration order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>Returns the backend named <paramref name="name"/>, or the default one when <c>null</c>.</summary>
    /// <exception cref="InvalidOptionsException">No such backend is registered.</exception>
    ISessionBackend GetBackend(string? name = null);
}

/// <summary>Marks a registered backend name.</summary>
internal sealed record BackendRegistration(string Name);

internal sealed class SessionBackendProvider(IServiceProvider services, IEnumerable<BackendRegistration> registrations, IOptions<PaudeOptions> options)
    : ISessionBackendProvider
{
    public IReadOnlyList<string> Names { get; } = [.. registrations.Select(r => r.Name)];

    public ISessionBackend GetBackend(string? name = null)
    {
        name ??= options.Value.DefaultBackend ?? (Names.Count > 0 ? Names[0] : null);
        if (name is null || !Names.Contains(name))
        {
            var known = Names.Count == 0 ? "none is registered (call AddPodmanBackend() or another backend)" : "registered: " + string.Join(", ", Names);
            throw new InvalidOptionsException("Unknown backend", [$"'{name}': {known}"]);
        }

        return services.GetRequiredKeyedService<ISessionBackend>(name);
    }
}
