using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Paude.Credentials;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>
/// A Podman backend labelled with a per-run id (plus a recording credential packager) for the backend's own focused
/// tests; removes every resource carrying that label at the end, never anything else.
/// </summary>
public sealed class BackendFixture : IAsyncLifetime
{
    public static readonly IReadOnlyList<string> StandIn = ["bash", "-c", "exec sleep infinity"];

    private ServiceProvider? _services;

    public string RunId { get; } = "pc" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    public ISessionBackend Backend { get; private set; } = null!;

    public TestPackager Packager { get; } = new();

    public SessionName NewName(string purpose) => SessionName.Parse($"{RunId}-{purpose}");

    public SessionSpec Spec(SessionName name) => new() { Name = name, AgentCommand = StandIn, Egress = Paude.Egress.EgressPolicy.Parse(["example.test"]) };

    public Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<ICredentialPackager>(Packager);
        services.AddPaude().AddPodmanBackend("podman", o =>
        {
            o.ExtraLabels = new Dictionary<string, string> { ["paude.test"] = RunId };
            o.StopTimeout = TimeSpan.FromSeconds(2);
        });
        _services = services.BuildServiceProvider();
        Backend = _services.GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var resource in await Podman.ResourcesLabelledAsync($"paude.test={RunId}"))
        {
            var parts = resource.Split(' ', 2);
            _ = parts[0] switch
            {
                "container" => await Podman.RunAsync("rm", "-f", "-t", "0", parts[1]),
                _ => null,
            };
        }

        foreach (var resource in await Podman.ResourcesLabelledAsync($"paude.test={RunId}"))
        {
            var parts = resource.Split(' ', 2);
            _ = parts[0] == "network" ? await Podman.RunAsync("network", "rm", "-f", parts[1]) : await Podman.RunAsync("volume", "rm", "-f", parts[1]);
        }

        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }
}

/// <summary>
/// A credential packager with one real tar entry; it counts its calls so tests see the backend's delivery hook
/// run on create and on every start. (The real packager is tested in Paude.Credentials.Tests.)
/// </summary>
public sealed class TestPackager : ICredentialPackager
{
    private int _calls;

    public int Calls => _calls;

    public IReadOnlyCollection<string> SourceNames { get; } = ["testsrc"];

    public IReadOnlyList<string> RestoreCommand { get; } = ["sh", "-c", "cp /credentials/token /tmp/restored-token"];

    public async Task WritePackageAsync(IReadOnlyList<string> sources, Stream destination, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        await using var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        var entry = new PaxTarEntry(TarEntryType.RegularFile, "token")
        {
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes("secret-for-" + string.Join(",", sources))),
        };
        await writer.WriteEntryAsync(entry, cancellationToken);
    }
}
