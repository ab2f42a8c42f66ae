using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Paude.DependencyInjection;
using Paude.Sync;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Paude sync engine.</summary>
public static class PaudeSyncBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ISessionSync"/> and <see cref="IContinuousSync"/> (<c>services.AddPaude().AddPodmanBackend().AddPaudeSync()</c>). It works
    /// with every registered backend (<see cref="SyncOptions.Backend"/> picks one). Idempotent.
    /// </summary>
    public static IPaudeBuilder AddPaudeSync(this IPaudeBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<ISessionSync>(sp => new SessionSync(
            sp.GetRequiredService<ISessionBackendProvider>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            (ILogger<SessionSync>?)sp.GetService<ILogger<SessionSync>>() ?? NullLogger<SessionSync>.Instance));
        builder.Services.TryAddSingleton<IContinuousSync>(sp => new Paude.Sync.Continuous.ContinuousSync(
            sp.GetRequiredService<ISessionSync>(),
            sp.GetRequiredService<ISessionBackendProvider>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            (ILogger<Paude.Sync.Continuous.ContinuousSync>?)sp.GetService<ILogger<Paude.Sync.Continuous.ContinuousSync>>() ?? NullLogger<Paude.Sync.Continuous.ContinuousSync>.Instance));
        return builder;
    }
}
