using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>The OpenShift backend against the fixture's test server plus the real packager reading a fake host home.</summary>
internal static class CredentialServices
{
    public static ServiceProvider Build(KubeServerFixture fixture, FakeClaudeHome home, ILoggerProvider logs)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.AddPaude()
            .AddOpenShiftBackend(configure: o =>
            {
                o.KubeconfigPath = fixture.Server.KubeconfigPath;
                o.Namespace = KubeServerFixture.Namespace;
                o.ReadyTimeout = TimeSpan.FromMinutes(3);
                o.RetryBaseDelay = TimeSpan.FromMilliseconds(50);
                o.MaxRetries = 10;
                o.AgentImage = KubeServerFixture.AgentImage;
            })
            .AddPaudeCredentials(home.Configure);
        return services.BuildServiceProvider();
    }

    public static ISessionBackend Backend(this ServiceProvider services) =>
        services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
}
