using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

internal sealed partial class PodRuntime
{
    /// <summary>
    /// Each container's readiness, read once a pass: the Service aliases and the published Ready condition use the same
    /// answer (a probe flipping between the two would publish Ready before the pod had its names).
    /// </summary>
    private List<bool> ContainersReady(PodState state, List<JsonObject> specContainers) =>
        [.. specContainers.Select(c => state.Containers.GetValueOrDefault(c.Str("name") ?? "") is { Running: true, Waiting: null } cs && _probes?.IsReady(c, cs.ContainerId) != false)];

    /// <summary>Writes phase, conditions and containerStatuses; a no-op when nothing changed (no resourceVersion bump).</summary>
    private void WriteStatus(JsonObject pod, PodState state, List<JsonObject> specContainers, List<bool> containersReady, string restartPolicy)
    {
        var statuses = new JsonArray();
        var unready = new List<string>();
        var allReady = true;
        var anyStarted = false;
        var allTerminated = true;
        var anyFailed = false;
        foreach (var (c, ready) in specContainers.Zip(containersReady))
        {
            var name = c.Str("name") ?? "";
            var cs = state.Containers.GetValueOrDefault(name) ?? new ContainerState();
            if (!ready)
            {
                unready.Add(name);
            }

            allReady &= ready;
            anyStarted |= cs.Running || cs.Terminated is not null || cs.LastTerminated is not null;
            allTerminated &= cs.Terminated is not null;
            anyFailed |= cs.Terminated is not null && cs.Terminated.Int("exitCode", 0) != 0;
            JsonObject current = cs switch
            {
                { Waiting: { } w } => new JsonObject { ["waiting"] = w.Message.Length > 0 ? new JsonObject { ["reason"] = w.Reason, ["message"] = w.Message } : new JsonObject { ["reason"] = w.Reason } },
                { Running: true } => new JsonObject { ["running"] = new JsonObject { ["startedAt"] = cs.StartedAt } },
                { Terminated: { } t } => new JsonObject { ["terminated"] = t.DeepClone() },
                _ => new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
            };
            var status = new JsonObject
            {
                ["name"] = name,
                ["state"] = current,
                ["lastState"] = cs.LastTerminated is null ? new JsonObject() : new JsonObject { ["terminated"] = cs.LastTerminated.DeepClone() },
                ["ready"] = ready,
                ["restartCount"] = cs.Restarts,
                ["image"] = c.Str("image"),
                ["imageID"] = cs.ContainerId is null ? "" : c.Str("image"),
                ["started"] = cs.Running,
            };
            if (cs.ContainerId is not null)
            {
                status["containerID"] = "cri-o://" + cs.ContainerId;
            }

            statuses.Add(status);
        }

        var phase = allTerminated && specContainers.Count > 0 && restartPolicy != "Always"
            ? (anyFailed ? "Failed" : "Succeeded")
            : anyStarted ? "Running" : "Pending";
        var readyText = allReady ? "True" : "False";
        state.ReadySince = state.ReadyValue == readyText ? state.ReadySince : Meta.Timestamp(Time.GetUtcNow());
        state.ReadyValue = readyText;
        JsonObject Condition(string type, string value, string since, string? reason = null)
        {
            var condition = new JsonObject { ["type"] = type, ["status"] = value, ["lastProbeTime"] = null, ["lastTransitionTime"] = since };
            if (reason is not null)
            {
                condition["reason"] = reason;
                condition["message"] = $"containers with unready status: [{string.Join(' ', unready)}]";
            }

            return condition;
        }

        var notReadyReason = allReady ? null : "ContainersNotReady";
        var conditions = new JsonArray(
            Condition("PodReadyToStartContainers", state.PodIp is null ? "False" : "True", state.ScheduledAt),
            Condition("Initialized", "True", state.ScheduledAt),
            Condition("Ready", readyText, state.ReadySince, notReadyReason),
            Condition("ContainersReady", readyText, state.ReadySince, notReadyReason),
            Condition("PodScheduled", "True", state.ScheduledAt));
        var podStatus = new JsonObject
        {
            ["phase"] = phase,
            ["conditions"] = conditions,
            ["hostIP"] = "127.0.0.1",
            ["hostIPs"] = new JsonArray(new JsonObject { ["ip"] = "127.0.0.1" }),
            ["startTime"] = state.ScheduledAt,
            ["containerStatuses"] = statuses,
            ["qosClass"] = "BestEffort",
        };
        if (state.PodIp is { Length: > 0 } ip)
        {
            podStatus["podIP"] = ip;
            podStatus["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip });
        }

        try
        {
            if (pod["spec"]?.Str("nodeName") is null)
            {
                // The scheduler's binding.
                store.Update(ResourceTypes.Pods, pod.Namespace(), pod.Name(), current =>
                {
                    current.Obj("spec")["nodeName"] = NodeScheduling.NodeName;
                    return current;
                });
            }

            store.Update(ResourceTypes.Pods, pod.Namespace(), pod.Name(), current =>
            {
                current["status"] = podStatus;
                return current;
            }, statusOnly: true);
        }
        catch (Api.KubeApiException)
        {
            // Deleted meanwhile.
        }
    }

    /// <summary>The status of a pod the scheduler could not place: Pending, PodScheduled False (Unschedulable), written once.</summary>
    private void WriteUnschedulable(JsonObject pod, PodState state, string message)
    {
        var status = new JsonObject
        {
            ["phase"] = "Pending",
            ["conditions"] = new JsonArray(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "False",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = state.ScheduledAt,
                ["reason"] = "Unschedulable",
                ["message"] = message,
            }),
            ["qosClass"] = "BestEffort",
        };
        if (JsonNode.DeepEquals(pod["status"], status))
        {
            return;
        }

        try
        {
            store.Update(ResourceTypes.Pods, pod.Namespace(), pod.Name(), current =>
            {
                current["status"] = status;
                return current;
            }, statusOnly: true);
        }
        catch (Api.KubeApiException)
        {
            // Deleted meanwhile.
        }
    }

    private sealed class PodState(string scheduledAt)
    {
        public string ScheduledAt { get; } = scheduledAt;

        /// <summary>Why no node fits the pod (the scheduler's message); <c>null</c> when it was scheduled.</summary>
        public string? Unschedulable { get; init; }

        public Dictionary<string, ContainerState> Containers { get; } = new(StringComparer.Ordinal);

        public string? PodIp { get; set; }

        public string? PodMac { get; set; }

        /// <summary>The aliases the pod's first container has on the pod network (null until inspected).</summary>
        public HashSet<string>? Aliases { get; set; }

        /// <summary>The iptables script last applied to the pod's network namespace (null: never restricted).</summary>
        public string? PolicyRules { get; set; }

        /// <summary>The container start (id and start time) the rules were applied to: a restart needs them again.</summary>
        public string? PolicyAppliedTo { get; set; }

        public string? ReadyValue { get; set; }

        public string ReadySince { get; set; } = scheduledAt;
    }

    private sealed class ContainerState
    {
        public bool Running { get; set; }

        public (string Reason, string Message)? Waiting { get; set; }

        public string? StartedAt { get; set; }

        public string? ContainerId { get; set; }

        public JsonObject? Terminated { get; set; }

        public JsonObject? LastTerminated { get; set; }

        public int Restarts { get; set; }

        public DateTimeOffset? RestartAt { get; set; }

        public DateTimeOffset? RetryAt { get; set; }

        public bool PullFailed { get; set; }

        public bool Pulled { get; set; }

        /// <summary>A pull from the served registry is running (its <c>Pulling</c> event recorded once).</summary>
        public bool Pulling { get; set; }
    }
}
