using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Paude.Errors;
using Paude.Testing.InProcess;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the in-process backend (tests only: it is not a sandbox).</summary>
public static class InProcessBuilderExtensions
{
    /// <summary>
    /// Adds an <see cref="InProcessBackend"/> named <paramref name="name"/> with its own options (named options,
    /// validated at start-up, every problem listed). Several can coexist under different names; registering the same
    /// name again is a no-op. For tests only: sessions run as local processes with no isolation.
    /// </summary>
    public static IPaudeBuilder AddInProcessBackend(this IPaudeBuilder builder, string name = "inprocess", Action<InProcessBackendOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(InProcessBackendMarker) && d.ImplementationInstance is InProcessBackendMarker m && m.Name == name))
        {
            return builder;
        }

        services.AddSingleton(new InProcessBackendMarker(name));
        services.TryAddSingleton(TimeProvider.System);
        var options = services.AddOptions<InProcessBackendOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddSingleton<IValidateOptions<InProcessBackendOptions>>(new InProcessOptionsValidator(name));
        options.ValidateOnStart();
        return builder.AddBackend(name, (sp, key) =>
        {
            var opts = sp.GetRequiredService<IOptionsMonitor<InProcessBackendOptions>>().Get(key);
            var errors = opts.GetErrors();
            if (errors.Count > 0)
            {
                throw new InvalidOptionsException($"Invalid options of in-process backend '{key}'", errors);
            }

            Directory.CreateDirectory(opts.RootDirectory);
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger("Paude.Testing.InProcess") ?? NullLogger.Instance;
            return new InProcessBackend(key, new InProcessBackendOptions { RootDirectory = opts.RootDirectory, RunAgentCommand = opts.RunAgentCommand }, sp.GetRequiredService<TimeProvider>(), logger);
        });
    }

    private sealed record InProcessBackendMarker(string Name);

    private sealed class InProcessOptionsValidator(string name) : IValidateOptions<InProcessBackendOptions>
    {
        public ValidateOptionsResult Validate(string? optionsName, InProcessBackendOptions options)
        {
            if (optionsName != name)
            {
                return ValidateOptionsResult.Skip;
            }

            var errors = options.GetErrors();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"In-process backend '{name}': {e}"));
        }
    }
}
