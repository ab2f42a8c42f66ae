using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.DependencyInjection;

// Shared source (src/Shared): compiled as an internal type into both built-in backends, so registering one behaves
// the same on each.
/// <summary>
/// Registers a built-in backend under a name: its options are named after it and validated on start with every
/// problem reported at once; a second registration of the same kind and name only adds its configure action; a name
/// another kind of backend holds is a clear error; the clock is the registered <see cref="TimeProvider"/>, else
/// <see cref="TimeProvider.System"/>.
/// </summary>
internal static class BackendRegistration
{
    public static IPaudeBuilder Add<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] TOptions>(
        IPaudeBuilder builder,
        string kind,
        string name,
        Action<TOptions>? configure,
        Func<TOptions, IReadOnlyList<string>> getErrors,
        Func<IServiceProvider, string, TOptions, TimeProvider, ISessionBackend> create)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var services = builder.Services;
        var again = services.Any(d => d.ServiceType == typeof(Marker) && d.ImplementationInstance is Marker m && m.Name == name);
        if (!again && services.Any(d => d.ServiceType == typeof(ISessionBackend) && d.IsKeyedService && Equals(d.ServiceKey, name)))
        {
            // Abstractions' AddBackend keeps the first registration of a name; two kinds under one name is a mistake.
            throw new InvalidOptionsException(
                $"{kind} backend registration",
                [$"Name: a backend named '{name}' is already registered and is not a {kind} backend; register this one under another name"]);
        }

        var options = services.AddOptions<TOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (again)
        {
            return builder;
        }

        services.AddSingleton(new Marker(name));
        services.AddSingleton<IValidateOptions<TOptions>>(new Validator<TOptions>(kind, name, getErrors));
        options.ValidateOnStart();

        // IOptionsMonitor.Get runs the validator too: a host that never validates on start gets the same errors.
        return builder.AddBackend(name, (sp, key) => create(
            sp,
            key,
            sp.GetRequiredService<IOptionsMonitor<TOptions>>().Get(key),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
    }

    private sealed record Marker(string Name);

    private sealed class Validator<TOptions>(string kind, string name, Func<TOptions, IReadOnlyList<string>> getErrors) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? optionsName, TOptions options)
        {
            if (optionsName != name)
            {
                return ValidateOptionsResult.Skip;
            }

            var errors = getErrors(options);
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"{kind} backend '{name}': {e}"));
        }
    }
}
