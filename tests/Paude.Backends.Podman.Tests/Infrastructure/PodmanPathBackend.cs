using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Tests.Infrastructure;

/// <summary>A Podman backend that runs another program as podman (the podman CLI itself is <see cref="Podman"/>).</summary>
internal static class PodmanPathBackend
{
    /// <summary>A Podman backend that runs <paramref name="podmanPath"/> (a missing, broken or wrapping stand-in) as podman.</summary>
    public static ISessionBackend Create(string podmanPath)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend("podman", o => o.PodmanPath = podmanPath);
        return services.BuildServiceProvider().GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
    }
}
