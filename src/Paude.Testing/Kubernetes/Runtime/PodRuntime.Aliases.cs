using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

internal sealed partial class PodRuntime
{
    /// <summary>
    /// Reads the pod IP and the Service aliases its first container has on the pod network (podman inspect).
    /// </summary>
    private async Task InspectNetworkAsync(PodState state, string podmanName, CancellationToken ct)
    {
        var (code, stdout, _) = await podman.RunAsync(["inspect", "--type", "container", "--format", $"{{{{json (index .NetworkSettings.Networks \"{resources.Network}\")}}}}", podmanName], ct).ConfigureAwait(false);
        if (code != 0 || JsonNode.Parse(stdout) is not JsonObject network)
        {
            return;
        }

        state.PodIp = network.Str("IPAddress");
        state.PodMac = network.Str("MacAddress");
        state.Aliases = PodLaunch.Strings(network["Aliases"]).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// A terminating pod stops being a Service endpoint before its containers are stopped (the endpoints controller
    /// drops it at its deletionTimestamp; only Services publishing not-ready addresses keep it). When it has names it
    /// must lose, its container leaves the pod network instead of being reconnected without them: it is removed a moment
    /// later anyway, and a reconnect would cost every deletion about a second.
    /// </summary>
    private async Task LeaveServicesAsync(JsonObject pod, PodState state, string podmanName, string containerId, CancellationToken ct)
    {
        var kept = launch.Aliases(pod).ToHashSet(StringComparer.Ordinal);
        if (state.Aliases?.Any(a => !containerId.StartsWith(a, StringComparison.Ordinal) && !kept.Contains(a)) == true)
        {
            await podman.RunAsync(["network", "disconnect", resources.Network, podmanName], ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Keeps the pod's network aliases equal to the Services that select it now and route to it (only while it is
    /// <paramref name="ready"/>, as this pass will publish it), so a Service created (or re-selected) after its pods started still
    /// resolves to them, one deleted stops resolving, and a pod failing its readiness probe drops out until it passes.
    /// Podman cannot change the aliases of a connected container, so the container is reconnected with the same IP, MAC
    /// and the new aliases: the pod is off the network for the ~1 s of the reconnect (packets then are lost), its
    /// processes, listeners and NetworkPolicy rules (iptables of its network namespace) stay.
    /// </summary>
    private async Task SyncAliasesAsync(JsonObject pod, bool ready, PodState state, string podmanName, string containerId, CancellationToken ct)
    {
        if (state.PodIp is not { Length: > 0 } ip || state.Aliases is null)
        {
            return;
        }

        var desired = launch.Aliases(pod, ready).ToHashSet(StringComparer.Ordinal);
        var current = state.Aliases.Where(a => !containerId.StartsWith(a, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        if (desired.SetEquals(current))
        {
            return;
        }

        await podman.RunAsync(["network", "disconnect", resources.Network, podmanName], ct).ConfigureAwait(false);
        if (await ConnectAsync(desired).ConfigureAwait(false) || await ConnectAsync(current).ConfigureAwait(false))
        {
            // Re-read what podman now has (the connect that worked), so a failed attempt is retried next pass.
            await InspectNetworkAsync(state, podmanName, ct).ConfigureAwait(false);
        }

        async Task<bool> ConnectAsync(IEnumerable<string> aliases)
        {
            // Same IP and MAC: peers' ARP caches stay valid, so the pod is reachable again at once.
            var args = new List<string> { "network", "connect", "--ip", ip };
            if (state.PodMac is { Length: > 0 } mac)
            {
                args.AddRange(["--mac-address", mac]);
            }

            foreach (var alias in aliases)
            {
                args.AddRange(["--alias", alias]);
            }

            args.AddRange([resources.Network, podmanName]);
            return (await podman.RunAsync(args, ct).ConfigureAwait(false)).ExitCode == 0;
        }
    }
}
