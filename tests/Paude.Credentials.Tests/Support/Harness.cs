using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Paude.Credentials;

namespace Paude.Tests.Support;

/// <summary>The packager as a host gets it from DI, with every log line captured.</summary>
internal sealed class Harness : IDisposable
{
    private readonly ServiceProvider _provider;

    public Harness(Action<CredentialOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero)));
        services.AddPaude().AddPaudeCredentials(configure);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        Packager = (CredentialPackager)_provider.GetRequiredService<ICredentialPackager>();
        Inventory = _provider.GetRequiredService<ICredentialInventory>();
    }

    public CapturingLoggerProvider Logs { get; } = new();

    public CredentialPackager Packager { get; }

    public ICredentialInventory Inventory { get; }

    /// <summary>Writes the package to <paramref name="file"/> and returns the manifest.</summary>
    public async Task<CredentialManifest> PackageToFileAsync(string file, params string[] sources)
    {
        await using var stream = File.Create(file);
        return await Packager.WriteAsync(sources, stream, CancellationToken.None);
    }

    public void Dispose() => _provider.Dispose();
}
