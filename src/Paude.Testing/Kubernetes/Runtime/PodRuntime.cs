using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// The "kubelet": one loop that makes every pod's containers exist in Podman, restarts them per restartPolicy with
/// back-off, reports phase/conditions/containerStatuses and events, and finishes deferred pod deletions. One loop
/// (no per-pod tasks) so Podman operations on a pod never race.
/// </summary>
internal sealed partial class PodRuntime(
    ObjectStore store,
    ServerResources resources,
    PodmanCli podman,
    PodLaunch launch,
    EventRecorder events,
    KubernetesTestServerOptions options)
{
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private readonly HashSet<(string Ns, string Claim)> _releasedClaims = [];
    private readonly Signal _wake = new();
    private ReadinessProbes? _probes;
    private CancellationToken _stopping;
    private TimeProvider Time => options.TimeProvider;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _stopping = cancellationToken;
        using var probes = new ReadinessProbes(podman, events, _wake.Set);
        _probes = probes;
        var feed = store.Subscribe(store.CurrentResourceVersion, out _);
        var pump = Task.Run(async () =>
        {
            await foreach (var e in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (e.Resource == ResourceTypes.PersistentVolumeClaims && e.Type == "DELETED")
                {
                    lock (_releasedClaims)
                    {
                        _releasedClaims.Add((e.Namespace ?? "", e.Object.Name()));
                    }
                }

                if (e.Resource == ResourceTypes.Secrets || e.Resource == ResourceTypes.ConfigMaps)
                {
                    Interlocked.Exchange(ref _sourcesChanged, 1);
                }

                if (e.Resource == ResourceTypes.Pods || e.Resource == ResourceTypes.PersistentVolumeClaims || e.Resource == ResourceTypes.Secrets || e.Resource == ResourceTypes.ConfigMaps || e.Resource == ResourceTypes.Services)
                {
                    _wake.Set();
                }
            }
        }, cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A pod vanished or podman failed mid-pass: the next pass starts from the facts again. Whatever
                    // the failure, the loop must survive it — a dead loop leaves every pod as it is forever.
                }

                await _wake.WaitAsync(options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Server stopping.
        }
        finally
        {
            store.Unsubscribe(feed);
            await pump.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        var containers = await PsAsync(ct).ConfigureAwait(false);
        var pods = store.List(ResourceTypes.Pods, null).Items;
        var liveUids = pods.Select(p => p.Uid()).ToHashSet(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            try
            {
                await ReconcilePodAsync(pod, containers, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One pod whose Podman step keeps failing must not hold back the others (a pass used to end at the
                // first failure, so pods listed after it — e.g. one waiting to be deleted — were never reconciled).
            }
        }

        if (Interlocked.Exchange(ref _sourcesChanged, 0) == 1)
        {
            RefreshVolumes(pods);
        }

        _probes?.Retain(containers.Values.Where(c => c.Running).Select(c => c.Id).ToHashSet(StringComparer.Ordinal));

        // Containers whose pod is gone (deleted while the server was busy): remove them.
        var orphans = containers.Values.Where(c => c.PodUid is { } uid && !liveUids.Contains(uid)).Select(c => c.Name).ToList();
        if (orphans.Count > 0)
        {
            await podman.RunAsync(["rm", "--force", "--time", "1", .. orphans], ct).ConfigureAwait(false);
        }

        foreach (var uid in _pods.Keys.Where(uid => !liveUids.Contains(uid)).ToList())
        {
            _pods.Remove(uid);
            resources.DeletePodDirectory(uid);
        }

        List<(string Ns, string Claim)> released;
        lock (_releasedClaims)
        {
            released = [.. _releasedClaims];
        }

        foreach (var (ns, claim) in released)
        {
            if (store.TryGet(ResourceTypes.PersistentVolumeClaims, ns, claim) is not null)
            {
                lock (_releasedClaims)
                {
                    _releasedClaims.Remove((ns, claim));
                }

                continue;
            }

            // Like pvc-protection: the volume goes once no container uses it (podman refuses while one does).
            if (await resources.RemoveVolumeAsync(ns, claim, ct).ConfigureAwait(false))
            {
                lock (_releasedClaims)
                {
                    _releasedClaims.Remove((ns, claim));
                }
            }
        }
    }

    private async Task ReconcilePodAsync(JsonObject pod, Dictionary<string, PsEntry> containers, CancellationToken ct)
    {
        var uid = pod.Uid();
        var ns = pod.Namespace()!;
        if (!_pods.TryGetValue(uid, out var state))
        {
            state = new PodState(Meta.Timestamp(Time.GetUtcNow()));
            _pods[uid] = state;
            events.Record(pod, "Normal", "Scheduled", $"Successfully assigned {ns}/{pod.Name()} to paude-test-node", "default-scheduler");
        }

        var specContainers = (pod["spec"]?["containers"]).Objects().ToList();
        if (pod.Metadata()["deletionTimestamp"] is not null)
        {
            var names = specContainers.Select(c => resources.Container(ns, pod.Name(), c.Str("name") ?? "")).Where(containers.ContainsKey).ToList();
            if (names.Count > 0)
            {
                foreach (var c in specContainers.Where(c => state.Containers.ContainsKey(c.Str("name") ?? "")))
                {
                    events.Record(pod, "Normal", "Killing", $"Stopping container {c.Str("name")}");
                }

                names.Reverse();
                await podman.RunAsync(["rm", "--force", "--time", "1", .. names], ct).ConfigureAwait(false);
            }

            resources.DeletePodDirectory(uid);
            _pods.Remove(uid);
            store.Remove(ResourceTypes.Pods, ns, pod.Name());
            return;
        }

        var restartPolicy = pod["spec"]?.Str("restartPolicy") ?? "Always";
        for (var i = 0; i < specContainers.Count; i++)
        {
            var c = specContainers[i];
            var cname = c.Str("name") ?? $"c{i}";
            if (!state.Containers.TryGetValue(cname, out var cs))
            {
                cs = new ContainerState();
                state.Containers[cname] = cs;
            }

            var podmanName = resources.Container(ns, pod.Name(), cname);
            containers.TryGetValue(podmanName, out var entry);
            if (entry is null)
            {
                if (i > 0 && !state.Containers.Values.First().Running)
                {
                    cs.Waiting = ("ContainerCreating", "");
                    continue;
                }

                await CreateAsync(pod, i, c, cs, podmanName, ct).ConfigureAwait(false);
                continue;
            }

            cs.ContainerId = entry.Id;
            if (entry.Running)
            {
                cs.Running = true;
                cs.Waiting = null;
                cs.StartedAt = Meta.Timestamp(DateTimeOffset.FromUnixTimeSeconds(entry.StartedAt));
                if (i == 0)
                {
                    if (state.PodIp is null)
                    {
                        await InspectNetworkAsync(state, podmanName, ct).ConfigureAwait(false);
                    }

                    await SyncAliasesAsync(pod, state, podmanName, entry.Id, ct).ConfigureAwait(false);
                }

                _probes?.Ensure(pod, c, entry.Id, podmanName, state.PodIp, _stopping);

                continue;
            }

            if (entry.State is "created" or "configured" or "initialized")
            {
                await StartAsync(pod, cname, cs, podmanName, ct).ConfigureAwait(false);
                continue;
            }

            // Exited.
            cs.Running = false;
            var terminated = new JsonObject
            {
                ["exitCode"] = entry.ExitCode,
                ["reason"] = entry.ExitCode == 0 ? "Completed" : "Error",
                ["startedAt"] = Meta.Timestamp(DateTimeOffset.FromUnixTimeSeconds(entry.StartedAt)),
                ["finishedAt"] = Meta.Timestamp(DateTimeOffset.FromUnixTimeSeconds(Math.Max(entry.ExitedAt, entry.StartedAt))),
                ["containerID"] = "cri-o://" + entry.Id,
            };
            var restart = restartPolicy == "Always" || (restartPolicy == "OnFailure" && entry.ExitCode != 0);
            if (!restart)
            {
                cs.Terminated = terminated;
                cs.Waiting = null;
                continue;
            }

            if (cs.RestartAt is null)
            {
                cs.LastTerminated = terminated;
                var backOff = cs.Restarts == 0
                    ? TimeSpan.Zero
                    : TimeSpan.FromTicks(Math.Min(options.MaxBackOff.Ticks, options.InitialBackOff.Ticks << Math.Min(cs.Restarts - 1, 20)));
                cs.RestartAt = Time.GetUtcNow() + backOff;
                if (backOff > TimeSpan.Zero)
                {
                    cs.Waiting = ("CrashLoopBackOff", $"back-off {(int)Math.Max(1, backOff.TotalSeconds)}s restarting failed container={cname} pod={pod.Name()}_{ns}({uid})");
                    events.Record(pod, "Warning", "BackOff", $"Back-off restarting failed container {cname} in pod {pod.Name()}_{ns}({uid})");
                }
            }

            if (Time.GetUtcNow() >= cs.RestartAt)
            {
                cs.RestartAt = null;
                cs.Restarts++;
                await StartAsync(pod, cname, cs, podmanName, ct).ConfigureAwait(false);
            }
        }

        WriteStatus(pod, state, specContainers, restartPolicy);
    }

    private async Task CreateAsync(JsonObject pod, int index, JsonObject c, ContainerState cs, string podmanName, CancellationToken ct)
    {
        if (cs.RetryAt is { } retry && Time.GetUtcNow() < retry)
        {
            return;
        }

        var image = c.Str("image") ?? "";
        var (exists, _, _) = await podman.RunAsync(["image", "exists", image], ct).ConfigureAwait(false);
        if (exists != 0)
        {
            if (!cs.PullFailed)
            {
                cs.PullFailed = true;
                var message = $"Failed to pull image \"{image}\": image not present in local Podman storage (the Kubernetes test server never pulls)";
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
            events.Record(pod, "Normal", "Pulled", $"Container image \"{image}\" already present on machine");
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
    }

    private async Task<Dictionary<string, PsEntry>> PsAsync(CancellationToken ct)
    {
        var json = await podman.CheckedAsync(["ps", "-a", "--filter", $"label={ServerResources.ServerLabel}={resources.ServerId}", "--format", "json"], ct).ConfigureAwait(false);
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

    internal static string Seconds(TimeSpan t) => ((int)t.TotalSeconds).ToString(CultureInfo.InvariantCulture);

    private sealed record PsEntry(string Name, string Id, string State, int ExitCode, long StartedAt, long ExitedAt, string? PodUid)
    {
        public bool Running => State == "running";
    }
}
