using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Builds;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// Podman steps for one container (image check, create, start) and the one `podman ps` listing a pass works from.
internal sealed partial class PodRuntime
{
    private async Task CreateAsync(JsonObject pod, int index, JsonObject c, ContainerState cs, string podmanName, CancellationToken ct)
    {
        if (cs.RetryAt is { } retry && Time.GetUtcNow() < retry)
        {
            return;
        }

        var image = c.Str("image") ?? "";
        string? pullError = null;
        if (pulls?.Serves(image) == true)
        {
            switch (pulls.Pull(pod, image, _wake.Set, _stopping))
            {
                case null:
                    cs.Waiting = ("ContainerCreating", "");
                    if (!cs.Pulling)
                    {
                        cs.Pulling = true;
                        events.Record(pod, "Normal", "Pulling", $"Pulling image \"{image}\"");
                    }

                    return;
                case "":
                    cs.Pulling = false;
                    break;
                case var refused:
                    cs.Pulling = false;
                    pullError = refused;
                    break;
            }
        }
        else if (PrivateRegistryAccess.Serves(options.PrivateRegistry, image) && PrivateRegistryAccess.Denied(store, options.PrivateRegistry!, pod) is { } denied)
        {
            pullError = denied;
        }
        else
        {
            var local = InternalRegistry.Resolve(store, resources.ServerId, image, options.PrivateRegistry);
            var (exists, _, _) = await podman.RunAsync(["image", "exists", local], ct).ConfigureAwait(false);
            pullError = exists == 0 ? null : "image not present in local Podman storage (the Kubernetes test server never pulls)";
        }

        if (pullError is not null)
        {
            if (!cs.PullFailed)
            {
                cs.PullFailed = true;
                var message = $"Failed to pull image \"{image}\": {pullError}";
                cs.Waiting = ("ErrImagePull", message);
                events.Record(pod, "Normal", "Pulling", $"Pulling image \"{image}\"");
                events.Record(pod, "Warning", "Failed", message);
                events.Record(pod, "Warning", "Failed", "Error: ErrImagePull");
            }
            else
            {
                cs.Waiting = ("ImagePullBackOff", $"Back-off pulling image \"{image}\"");
                events.Record(pod, "Normal", "BackOff", $"Back-off pulling image \"{image}\"");
                events.Record(pod, "Warning", "Failed", "Error: ImagePullBackOff");
            }

            cs.RetryAt = Time.GetUtcNow() + options.InitialBackOff;
            return;
        }

        List<string> args;
        try
        {
            args = await launch.BuildAsync(pod, index, ct).ConfigureAwait(false);
        }
        catch (LaunchFailure f)
        {
            cs.Waiting = (f.WaitingReason, f.Message);
            events.Record(pod, "Warning", f.EventReason, f.EventMessage);
            cs.RetryAt = Time.GetUtcNow() + options.InitialBackOff;
            return;
        }

        if (!cs.Pulled)
        {
            cs.Pulled = true;
            events.Record(pod, "Normal", "Pulled", pulls?.Serves(image) == true ? $"Successfully pulled image \"{image}\"" : $"Container image \"{image}\" already present on machine");
        }

        var (code, _, stderr) = await podman.RunAsync(args, ct).ConfigureAwait(false);
        if (code != 0)
        {
            cs.Waiting = ("CreateContainerError", stderr.Trim());
            events.Record(pod, "Warning", "Failed", "Error: " + stderr.Trim());
            cs.RetryAt = Time.GetUtcNow() + options.InitialBackOff;
            return;
        }

        events.Record(pod, "Normal", "Created", $"Created container {c.Str("name")}");
        await StartAsync(pod, c.Str("name") ?? "", cs, podmanName, ct).ConfigureAwait(false);
    }

    private async Task StartAsync(JsonObject pod, string cname, ContainerState cs, string podmanName, CancellationToken ct)
    {
        var (code, _, stderr) = await podman.RunAsync(["start", podmanName], ct).ConfigureAwait(false);
        if (code != 0)
        {
            cs.Waiting = ("RunContainerError", stderr.Trim());
            events.Record(pod, "Warning", "Failed", "Error: " + stderr.Trim());
            return;
        }

        events.Record(pod, "Normal", "Started", $"Started container {cname}");

        // The start may have made the network's bridge (netavark does with its first container): fix its address
        // before another pod joins, reconnects or leaves and moves it under the running pods' ARP caches.
        try
        {
            await _bridge.PinAsync(ct).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // The container runs; only name lookups may be slower. Said once, where a kubelet says node trouble.
            events.Record(pod, "Warning", "GatewayAddressNotPinned", e.Message);
        }
    }

    private async Task<Dictionary<string, PsEntry>> PsAsync(CancellationToken ct)
    {
        var json = await podman.ListAsync(["ps", "-a", "--filter", $"label={ServerResources.ServerLabel}={resources.ServerId}", "--format", "json"], ct).ConfigureAwait(false);
        var result = new Dictionary<string, PsEntry>(StringComparer.Ordinal);
        foreach (var c in (JsonNode.Parse(json) as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = c["Names"]?[0]?.GetValue<string>() ?? "";
            var labels = Meta.StringMap(c["Labels"]);
            result[name] = new PsEntry(
                name,
                c.Str("Id") ?? "",
                c.Str("State") ?? "",
                c.Int("ExitCode", 0),
                c["StartedAt"]?.GetValue<long>() ?? 0,
                c["ExitedAt"]?.GetValue<long>() ?? 0,
                labels.GetValueOrDefault(ServerResources.PodUidLabel));
        }

        return result;
    }

    private sealed record PsEntry(string Name, string Id, string State, int ExitCode, long StartedAt, long ExitedAt, string? PodUid)
    {
        public bool Running => State == "running";
    }
}
