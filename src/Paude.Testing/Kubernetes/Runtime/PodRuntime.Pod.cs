using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// One pod per pass: deferred deletion, then each container created, started or restarted per restartPolicy with back-off.
internal sealed partial class PodRuntime
{
    private async Task ReconcilePodAsync(JsonObject pod, Dictionary<string, PsEntry> containers, CancellationToken ct)
    {
        var uid = pod.Uid();
        var ns = pod.Namespace()!;
        if (!_pods.TryGetValue(uid, out var state))
        {
            state = new PodState(Meta.Timestamp(Time.GetUtcNow())) { Unschedulable = NodeScheduling.Refusal(pod, options) };
            _pods[uid] = state;
            if (state.Unschedulable is { } refusal)
            {
                events.Record(pod, "Warning", "FailedScheduling", refusal, "default-scheduler");
            }
            else
            {
                events.Record(pod, "Normal", "Scheduled", $"Successfully assigned {ns}/{pod.Name()} to {NodeScheduling.NodeName}", "default-scheduler");
            }
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

                await LeaveServicesAsync(pod, state, names[0], containers[names[0]].Id, ct).ConfigureAwait(false);
            }

            // Every container of the spec, not only those of this pass's snapshot (one may have been made since), and
            // the pod object only once they are gone: a failed rm left a container of a deleted pod behind (a
            // conformance run saw the session's proxy container after delete returned). A failure retries next pass.
            var all = specContainers.Select(c => resources.Container(ns, pod.Name(), c.Str("name") ?? "")).Reverse().ToList();
            if (all.Count > 0 && (await podman.RunAsync(["rm", "--force", "--ignore", "--time", "1", .. all], ct).ConfigureAwait(false)).ExitCode != 0)
            {
                return;
            }

            resources.DeletePodDirectory(uid);
            _pods.Remove(uid);
            store.Remove(ResourceTypes.Pods, ns, pod.Name());
            return;
        }

        if (state.Unschedulable is { } why)
        {
            // No node: no containers, no binding; deleting it (above) still works, as for a real pending pod.
            WriteUnschedulable(pod, state, why);
            return;
        }

        var restartPolicy = pod["spec"]?.Str("restartPolicy") ?? "Always";
        (string PodmanName, string Id)? network = null;
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

                    network = (podmanName, entry.Id);
                    await EnforcePoliciesAsync(pod, state, podmanName, $"{entry.Id}@{entry.StartedAt}", ct).ConfigureAwait(false);
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

        // Names first, then Ready: a client that waited for Ready finds the pod behind its Services (real endpoints lag
        // Ready by milliseconds; a reconnect here takes a second, so the other order failed such clients every time).
        var ready = ContainersReady(state, specContainers);
        if (network is { } n)
        {
            await SyncAliasesAsync(pod, ready.All(r => r), state, n.PodmanName, n.Id, ct).ConfigureAwait(false);
        }

        WriteStatus(pod, state, specContainers, ready, restartPolicy);
    }
}
