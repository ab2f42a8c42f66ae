using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Controllers;

internal sealed partial class WorkloadController
{
    /// <summary>Deployment → one ReplicaSet per template (recreate-style: old sets go to 0 at once), status from their pods.</summary>
    private void ReconcileDeployment(JsonObject deployment)
    {
        if (deployment.Metadata()["deletionTimestamp"] is not null)
        {
            return;
        }

        var ns = deployment.Namespace()!;
        var spec = deployment.Obj("spec");
        var replicas = spec.Int("replicas", 1);
        var template = spec["template"] as JsonObject ?? new JsonObject();
        var hash = TemplateHash(template);
        var rsName = $"{deployment.Name()}-{hash}";
        var owned = store.List(ResourceTypes.ReplicaSets, ns, r => r.Metadata()["ownerReferences"].Objects().Any(o => o.Str("uid") == deployment.Uid())).Items;
        var currentRs = owned.FirstOrDefault(r => r.Name() == rsName);
        var revision = owned.Select(r => int.TryParse(r.Metadata()["annotations"]?.Str("deployment.kubernetes.io/revision"), CultureInfo.InvariantCulture, out var n) ? n : 0).DefaultIfEmpty(0).Max();
        if (currentRs is null)
        {
            var rsTemplate = (JsonObject)template.DeepClone();
            rsTemplate.Obj("metadata").Obj("labels")["pod-template-hash"] = hash;
            var selector = spec["selector"]?.DeepClone() as JsonObject ?? new JsonObject();
            selector.Obj("matchLabels")["pod-template-hash"] = hash;
            var rs = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["name"] = rsName,
                    ["namespace"] = ns,
                    ["labels"] = Labels(template.Metadata()["labels"], new() { ["pod-template-hash"] = hash }),
                    ["annotations"] = new JsonObject { ["deployment.kubernetes.io/revision"] = (revision + 1).ToString(CultureInfo.InvariantCulture), ["deployment.kubernetes.io/desired-replicas"] = replicas.ToString(CultureInfo.InvariantCulture) },
                    ["ownerReferences"] = new JsonArray(OwnerReference(deployment)),
                },
                ["spec"] = new JsonObject { ["replicas"] = replicas, ["selector"] = selector, ["template"] = rsTemplate },
            };
            currentRs = store.Create(ResourceTypes.ReplicaSets, ns, rs);
            events.Record(deployment, "Normal", "ScalingReplicaSet", $"Scaled up replica set {rsName} to {replicas}", "deployment-controller");
        }
        else if (currentRs["spec"].Int("replicas", 1) != replicas)
        {
            var from = currentRs["spec"].Int("replicas", 1);
            currentRs = store.Update(ResourceTypes.ReplicaSets, ns, rsName, r =>
            {
                r.Obj("spec")["replicas"] = replicas;
                return r;
            });
            events.Record(deployment, "Normal", "ScalingReplicaSet", $"Scaled {(replicas > from ? "up" : "down")} replica set {rsName} to {replicas}{(replicas < from ? $" from {from}" : "")}", "deployment-controller");
        }

        foreach (var old in owned.Where(r => r.Name() != rsName && r["spec"].Int("replicas", 0) > 0))
        {
            var from = old["spec"].Int("replicas", 0);
            store.Update(ResourceTypes.ReplicaSets, ns, old.Name(), r =>
            {
                r.Obj("spec")["replicas"] = 0;
                return r;
            });
            events.Record(deployment, "Normal", "ScalingReplicaSet", $"Scaled down replica set {old.Name()} to 0 from {from}", "deployment-controller");
        }

        var allPods = owned.Append(currentRs).DistinctBy(r => r.Uid()).SelectMany(OwnedPods).Where(p => p.Metadata()["deletionTimestamp"] is null).ToList();
        var updated = OwnedPods(currentRs).Where(p => p.Metadata()["deletionTimestamp"] is null).ToList();
        var ready = allPods.Count(IsReady);
        var status = new JsonObject { ["observedGeneration"] = deployment.Metadata().Int("generation", 1) };
        SetIfPositive(status, "replicas", allPods.Count);
        SetIfPositive(status, "updatedReplicas", updated.Count);
        SetIfPositive(status, "readyReplicas", ready);
        SetIfPositive(status, "availableReplicas", ready);
        SetIfPositive(status, "unavailableReplicas", Math.Max(0, replicas - ready));
        var available = ready >= replicas;
        var existing = deployment["status"]?["conditions"].Objects().ToList() ?? [];
        status["conditions"] = new JsonArray(
            Condition(existing, "Available", available ? "True" : "False", available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
                available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."),
            Condition(existing, "Progressing", "True", updated.Count >= replicas && available ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                updated.Count >= replicas && available ? $"ReplicaSet \"{rsName}\" has successfully progressed." : $"ReplicaSet \"{rsName}\" is progressing."));
        WriteStatus(ResourceTypes.Deployments, deployment, status);
    }

    private JsonObject Condition(List<JsonObject> existing, string type, string value, string reason, string message)
    {
        var previous = existing.FirstOrDefault(c => c.Str("type") == type);
        var now = previous?.Str("status") == value && previous?.Str("reason") == reason ? previous!.Str("lastTransitionTime") : Meta.Timestamp(events.Now);
        return new JsonObject
        {
            ["type"] = type,
            ["status"] = value,
            ["lastUpdateTime"] = previous?.Str("status") == value && previous?.Str("reason") == reason ? previous!.Str("lastUpdateTime") : now,
            ["lastTransitionTime"] = previous?.Str("status") == value ? previous!.Str("lastTransitionTime") : now,
            ["reason"] = reason,
            ["message"] = message,
        };
    }

    private void ReconcileReplicaSet(JsonObject rs)
    {
        if (rs.Metadata()["deletionTimestamp"] is not null)
        {
            return;
        }

        var ns = rs.Namespace()!;
        var replicas = rs["spec"].Int("replicas", 1);
        var pods = OwnedPods(rs).Where(p => p.Metadata()["deletionTimestamp"] is null).ToList();
        var template = rs["spec"]?["template"] as JsonObject ?? new JsonObject();
        for (var i = pods.Count; i < replicas; i++)
        {
            var name = $"{rs.Name()}-{ObjectStore.RandomSuffix(5)}";
            var created = TryCreatePod(rs, PodFromTemplate(template, name, ns, rs), $"Created pod: {name}", m => $"Error creating: {m}");
            if (created is null)
            {
                break;
            }

            pods.Add(created);
        }

        foreach (var extra in pods.OrderBy(IsReady).Take(Math.Max(0, pods.Count - replicas)).ToList())
        {
            store.Delete(ResourceTypes.Pods, ns, extra.Name());
            events.Record(rs, "Normal", "SuccessfulDelete", $"Deleted pod: {extra.Name()}", "replicaset-controller");
            pods.Remove(extra);
        }

        var ready = pods.Count(IsReady);
        var status = new JsonObject { ["replicas"] = pods.Count };
        SetIfPositive(status, "fullyLabeledReplicas", pods.Count);
        SetIfPositive(status, "readyReplicas", ready);
        SetIfPositive(status, "availableReplicas", ready);
        status["observedGeneration"] = rs.Metadata().Int("generation", 1);
        WriteStatus(ResourceTypes.ReplicaSets, rs, status);
    }
}
