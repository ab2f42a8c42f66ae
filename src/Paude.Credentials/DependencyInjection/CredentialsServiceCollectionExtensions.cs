using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Paude.Credentials;
using Paude.Credentials.Sources;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers credential packaging.</summary>
public static class CredentialsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the credential packager (<see cref="ICredentialPackager"/>, <see cref="ICredentialInventory"/>) with the
    /// <c>claude</c>, <c>gcloud</c> and <c>git</c> sources; more sources are added by registering
    /// <see cref="ICredentialSource"/>. Options are validated at start. Idempotent; later calls only add configuration.
    /// </summary>
    public static IPaudeBuilder AddPaudeCredentials(this IPaudeBuilder builder, Action<CredentialOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<CredentialOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(CredentialsMarker)))
        {
            return builder;
        }

        services.AddSingleton<CredentialsMarker>();
        services.AddSingleton<IValidateOptions<CredentialOptions>, CredentialOptionsValidator>();
        options.ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICredentialSource, ClaudeCredentialSource>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICredentialSource, GcloudCredentialSource>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICredentialSource, GitIdentityCredentialSource>());
        services.TryAddSingleton<CredentialPackager>();
        services.TryAddSingleton<ICredentialPackager>(sp => sp.GetRequiredService<CredentialPackager>());
        services.TryAddSingleton<ICredentialInventory>(sp => sp.GetRequiredService<CredentialPackager>());
        return builder;
    }

    private sealed class CredentialsMarker;

    private sealed class CredentialOptionsValidator : IValidateOptions<CredentialOptions>
    {
        public ValidateOptionsResult Validate(string? name, CredentialOptions options)
        {
            var errors = options.GetErrors();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
