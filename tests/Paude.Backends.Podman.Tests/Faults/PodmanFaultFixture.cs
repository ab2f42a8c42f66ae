using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Tests.Faults;

/// <summary>A default-configured Podman backend plus a run id that every resource name of these tests contains.</summary>
public sealed class PodmanFaultFixture : IAsyncLifetime
{
    private ServiceProvider? _services;

    public string RunId { get; } = "ft" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public ISessionBackend Backend { get; private set; } = null!;

    /// <summary>The ready timeout of <see cref="BoundedBackend"/>: shorter than the bridge wait's own 120 s loop.</summary>
    public static readonly TimeSpan BoundedReadyTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The same backend with <see cref="BoundedReadyTimeout"/>: a wait that is not stopped ends at it.</summary>
    public ISessionBackend BoundedBackend { get; private set; } = null!;

    public Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend("podman", o => o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = RunId });
        services.AddPaude().AddPodmanBackend("podman-bounded", o =>
        {
            o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = RunId };
            o.ReadyTimeout = BoundedReadyTimeout;
        });
        _services = services.BuildServiceProvider();
        Backend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        BoundedBackend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman-bounded");
        return Task.CompletedTask;
    }

    public SessionName NewName(string purpose) => SessionName.Parse($"{RunId}-{purpose}");

    public static SessionSpec Spec(SessionName name) => new()
    {
        Name = name,
        AgentCommand = ConformanceFixture.AgentStandIn,
        Egress = ConformanceFixture.TestPolicy,
    };

    /// <summary>Every podman resource whose name contains <paramref name="marker"/>.</summary>
    public static Task<List<string>> LeftoversAsync(string marker) => Podman.ResourcesContainingAsync(marker);

    public async Task DisposeAsync()
    {
        await Podman.RemoveContainingAsync(RunId);
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}
