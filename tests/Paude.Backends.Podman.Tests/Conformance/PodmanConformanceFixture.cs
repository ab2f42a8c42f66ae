using Microsoft.Extensions.DependencyInjection;
using Paude.Conformance;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Tests.Conformance;

/// <summary>
/// Podman for the conformance suite: a user network with DNS (<c>paude-test-&lt;run&gt;-world</c>) holding one
/// busybox httpd container answering as allowed/denied/later.paude.test, and a Podman backend whose proxies join
/// that network instead of the default one — so no test needs the internet.
/// </summary>
public class PodmanConformanceFixture : ConformanceFixture
{
    private ServiceProvider? _services;
    private ISessionBackend? _backend;

    public string Label => $"paude.test={RunId}";

    public string World => $"paude-test-{RunId}-world";

    public string Outside => $"paude-test-{RunId}-outside";

    public override ISessionBackend Backend => _backend ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Images the backend runs instead of its defaults (<c>null</c>: the defaults).</summary>
    protected (string Agent, string Proxy)? Images { get; set; }

    public override async Task InitializeAsync()
    {
        await Podman.CheckAsync("network", "create", "--label", Label, World);
        await Podman.CheckAsync(
            "run", "-d", "--name", Outside, "--label", Label, "--network", World,
            "--network-alias", AllowedHost, "--network-alias", DeniedHost, "--network-alias", LaterHost,
            "localhost/paude-base:ci", "sh", "-c", "mkdir -p /www && echo outside-ok > /www/index.html && exec busybox httpd -f -p 80 -h /www");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend("podman", o =>
        {
            o.ProxyNetworks = [World];
            if (Images is { } images)
            {
                (o.AgentImage, o.ProxyImage) = images;
            }

            o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = RunId };
        });
        _services = services.BuildServiceProvider();
        _backend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
    }

    public override async Task<string> OutsideAddressAsync(CancellationToken cancellationToken = default)
    {
        var inspect = await Podman.InspectAsync(Outside);
        return inspect.GetProperty("NetworkSettings").GetProperty("Networks").GetProperty(World).GetProperty("IPAddress").GetString()!;
    }

    public override async Task<IReadOnlyList<string>> ListSessionResourcesAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        // Both by label (what the backend discovers) and by the contract's names (what could leak unlabelled).
        var labelled = await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}");
        var named = new List<string>();
        foreach (var container in new[] { $"paude-{name}", $"paude-{name}.proxy" })
        {
            if ((await Podman.RunAsync("container", "exists", container)).ExitCode == 0)
            {
                named.Add("container " + container);
            }
        }

        foreach (var volume in new[] { $"paude-{name}.workspace", $"paude-{name}.proxy-config", $"paude-{name}.sock" })
        {
            if ((await Podman.RunAsync("volume", "exists", volume)).ExitCode == 0)
            {
                named.Add("volume " + volume);
            }
        }

        if ((await Podman.RunAsync("network", "exists", $"paude-{name}.net")).ExitCode == 0)
        {
            named.Add($"network paude-{name}.net");
        }

        return [.. labelled.Union(named)];
    }

    protected override async Task CleanupAsync() => await CleanupPodmanAsync();

    /// <summary>Removes the run's resources and the backend.</summary>
    protected async Task CleanupPodmanAsync()
    {
        await Podman.RemoveContainingAsync(RunId);
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}

/// <summary>The shared backend conformance suite, run against real Podman.</summary>
public sealed class PodmanConformanceTests(PodmanConformanceFixture fixture)
    : BackendConformanceTests<PodmanConformanceFixture>(fixture);
