using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Paude.DependencyInjection;
using Paude.Sessions;

namespace Paude.Tests.Infrastructure;

/// <summary>The real podman CLI for test set-up and assertions (argument vectors only).</summary>
internal static class Podman
{
    public static Task<ProcessOutcome> RunAsync(params string[] args) => ProcessRunner.RunAsync("podman", args);

    public static async Task<string> CheckAsync(params string[] args)
        => (await RunAsync(args)).EnsureSuccess("podman " + string.Join(' ', args)).StandardOutput;

    /// <summary>Names of every container, volume and network whose name contains <paramref name="marker"/>.</summary>
    public static async Task<List<string>> ResourcesContainingAsync(string marker)
    {
        var found = new List<string>();
        foreach (var (kind, args) in Listings)
        {
            found.AddRange((await PodmanListing.LinesAsync(args))
                .Where(n => n.Contains(marker, StringComparison.Ordinal))
                .Select(n => $"{kind} {n}"));
        }

        return found;
    }

    /// <summary>Names of every container, volume and network labelled with <paramref name="label"/> (key=value).</summary>
    public static async Task<List<string>> ResourcesLabelledAsync(string label)
    {
        var found = new List<string>();
        foreach (var (kind, args) in Listings)
        {
            found.AddRange((await PodmanListing.LinesAsync([.. args, "--filter", $"label={label}"])).Select(n => $"{kind} {n}"));
        }

        return found;
    }

    /// <summary>
    /// Removes every resource whose name contains <paramref name="marker"/> (a unique run id) — never anything
    /// else: other engineers' tests run on this machine at the same time.
    /// </summary>
    public static async Task RemoveContainingAsync(string marker)
    {
        var resources = await ResourcesContainingAsync(marker);
        foreach (var kind in new[] { "container", "network", "volume" })
        {
            foreach (var resource in resources.Where(r => r.StartsWith(kind + " ", StringComparison.Ordinal)))
            {
                var name = resource[(kind.Length + 1)..];
                _ = kind switch
                {
                    "container" => await RunAsync("rm", "-f", "-t", "0", name),
                    "network" => await RunAsync("network", "rm", "-f", name),
                    _ => await RunAsync("volume", "rm", "-f", name),
                };
            }
        }
    }

    public static async Task<JsonElement> InspectAsync(string container)
    {
        using var doc = JsonDocument.Parse(await CheckAsync("container", "inspect", container));
        return doc.RootElement[0].Clone();
    }

    /// <summary>A Podman backend that runs <paramref name="podmanPath"/> (a missing, broken or wrapping stand-in) as podman.</summary>
    public static ISessionBackend BackendWith(string podmanPath)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPaude().AddPodmanBackend("podman", o => o.PodmanPath = podmanPath);
        return services.BuildServiceProvider().GetRequiredService<ISessionBackendProvider>().GetBackend("podman");
    }

    private static readonly (string Kind, string[] Args)[] Listings =
    [
        ("container", ["ps", "-a", "--format", "{{.Names}}"]),
        ("volume", ["volume", "ls", "--format", "{{.Name}}"]),
        ("network", ["network", "ls", "--format", "{{.Name}}"]),
    ];
}
