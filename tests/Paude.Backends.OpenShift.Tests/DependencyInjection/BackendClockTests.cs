using Microsoft.Extensions.DependencyInjection;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.DependencyInjection;

/// <summary>The backend's clock is the registered <see cref="TimeProvider"/> (as on Podman), else the system's.</summary>
[Collection(KubeServerCollection.Name)]
public sealed class BackendClockTests(KubeServerFixture fixture)
{
    [Fact]
    public async Task The_registered_TimeProvider_is_the_backends_clock()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(TimeSpan.FromDays(-3650)));
        services.AddPaude().AddOpenShiftBackend(configure: o =>
        {
            o.KubeconfigPath = fixture.Server.KubeconfigPath;
            o.Namespace = KubeServerFixture.Namespace;
            o.ReadyTimeout = TimeSpan.FromMinutes(3);
            o.AgentImage = KubeServerFixture.AgentImage;
        });
        await using var provider = services.BuildServiceProvider();
        var backend = provider.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var name = fixture.NewName("clock");
        try
        {
            var created = await backend.CreateAsync(fixture.Spec(name));
            Assert.NotNull(created.CreatedAt);
            Assert.InRange(created.CreatedAt.Value, DateTimeOffset.UtcNow.AddDays(-3651), DateTimeOffset.UtcNow.AddDays(-3649));
        }
        finally
        {
            await backend.DeleteAsync(name);
        }
    }
}
