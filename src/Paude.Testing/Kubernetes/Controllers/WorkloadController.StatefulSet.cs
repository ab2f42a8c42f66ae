using System.Globalization;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Controllers;

internal sealed partial class WorkloadController
{
    private void ReconcileStatefulSet(JsonObject sts)
    {
        if (sts.Metadata()["deletionTimestamp"] is not null)
        {
            return;
        }

        var ns = sts.Namespace()!;
        var name = sts.Name();
        var spec = sts.Obj("spec");
        var replicas = spec.Int("replicas", 1);
        var template = spec["template"] as JsonObject ?? new JsonObject();
        var revision = $"{name}-{TemplateHash(template)}";
        var selectorLabels = Meta.StringMap(spec["selector"]?["matchLabels"]);
        var pods = OwnedPods(sts);
        for (var i = 0; i < replicas; i++)
        {
            var podName = $"{name}-{i}";
            var existing = pods.FirstOrDefault(p => p.Name() == podName) ?? store.TryGet(ResourceTypes.Pods, ns, podName);
            if (existing is not null)
            {
                if (existing.Metadata()["deletionTimestamp"] is null && existing.Labels().GetValueOrDefault("controller-revision-hash") != revision
                    && existing.Metadata()["ownerReferences"].Objects().Any(r => r.Str("uid") == sts.Uid()))
                {
                    store.Delete(ResourceTypes.Pods, ns, podName);
                    events.Record(sts, "Normal", "SuccessfulDelete", $"delete Pod {podName} in StatefulSet {name} successful", "statefulset-controller");
                }

                if (!IsReady(existing) && spec.Str("podManagementPolicy") != "Parallel")
                {
                    break;
                }

                continue;
            }

            foreach (var claimTemplate in spec["volumeClaimTemplates"].Objects())
            {
                var claimName = $"{claimTemplate.Name()}-{podName}";
                if (store.TryGet(ResourceTypes.PersistentVolumeClaims, ns, claimName) is null)
                {
                    var claim = new JsonObject
                    {
                        ["metadata"] = new JsonObject { ["name"] = claimName, ["namespace"] = ns, ["labels"] = Labels(claimTemplate.Metadata()["labels"], selectorLabels) },
                        ["spec"] = claimTemplate["spec"]?.DeepClone(),
                    };
                    store.Create(ResourceTypes.PersistentVolumeClaims, ns, claim);
                    events.Record(sts, "Normal", "SuccessfulCreate", $"create Claim {claimName} Pod {podName} in StatefulSet {name} success", "statefulset-controller");
                }
            }

            var pod = PodFromTemplate(template, podName, ns, sts);
            var labels = pod.Metadata().Obj("labels");
            labels["controller-revision-hash"] = revision;
            labels["statefulset.kubernetes.io/pod-name"] = podName;
            labels["apps.kubernetes.io/pod-index"] = i.ToString(CultureInfo.InvariantCulture);
            var podSpec = pod.Obj("spec");
            podSpec["hostname"] = podName;
            if (spec.Str("serviceName") is { Length: > 0 } serviceName)
            {
                podSpec["subdomain"] = serviceName;
            }

            if (podSpec["volumes"] is not JsonArray volumes)
            {
                volumes = [];
                podSpec["volumes"] = volumes;
            }

            foreach (var claimTemplate in spec["volumeClaimTemplates"].Objects())
            {
                var existingVolume = volumes.OfType<JsonObject>().FirstOrDefault(v => v.Str("name") == claimTemplate.Name());
                if (existingVolume is not null)
                {
                    volumes.Remove(existingVolume);
                }

                volumes.Add(new JsonObject { ["name"] = claimTemplate.Name(), ["persistentVolumeClaim"] = new JsonObject { ["claimName"] = $"{claimTemplate.Name()}-{podName}" } });
            }

            TryCreatePod(sts, pod, $"create Pod {podName} in StatefulSet {name} successful", m => $"create Pod {podName} in StatefulSet {name} failed error: {m}");
            break;
        }

        // Scale down, highest ordinal first.
        foreach (var extra in pods.Where(p => p.Metadata()["deletionTimestamp"] is null && Ordinal(p.Name(), name) >= replicas).OrderByDescending(p => Ordinal(p.Name(), name)))
        {
            store.Delete(ResourceTypes.Pods, ns, extra.Name());
            events.Record(sts, "Normal", "SuccessfulDelete", $"delete Pod {extra.Name()} in StatefulSet {name} successful", "statefulset-controller");
        }

        pods = OwnedPods(sts);
        var live = pods.Where(p => p.Metadata()["deletionTimestamp"] is null).ToList();
        var ready = live.Count(IsReady);
        var current = live.Count(p => p.Labels().GetValueOrDefault("controller-revision-hash") == revision);
        var status = new JsonObject { ["observedGeneration"] = sts.Metadata().Int("generation", 1), ["replicas"] = pods.Count };
        SetIfPositive(status, "readyReplicas", ready);
        SetIfPositive(status, "currentReplicas", current);
        SetIfPositive(status, "updatedReplicas", current);
        status["currentRevision"] = revision;
        status["updateRevision"] = revision;
        status["collisionCount"] = 0;
        status["availableReplicas"] = ready;
        WriteStatus(ResourceTypes.StatefulSets, sts, status);
    }

    private void WriteStatus(ResourceType type, JsonObject owner, JsonObject status)
    {
        if (JsonNode.DeepEquals(owner["status"], status))
        {
            return;
        }

        try
        {
            store.Update(type, owner.Namespace(), owner.Name(), current =>
            {
                current["status"] = status;
                return current;
            }, statusOnly: true);
        }
        catch (KubeApiException)
        {
            // Deleted meanwhile.
        }
    }

    private static int Ordinal(string podName, string stsName) =>
        podName.Length > stsName.Length + 1 && int.TryParse(podName.AsSpan(stsName.Length + 1), CultureInfo.InvariantCulture, out var i) ? i : -1;

    private static JsonObject Labels(JsonNode? labels, Dictionary<string, string> extra)
    {
        var result = labels is JsonObject o ? (JsonObject)o.DeepClone() : new JsonObject();
        foreach (var (k, v) in extra)
        {
            result[k] = v;
        }

        return result;
    }

    private static JsonObject PodFromTemplate(JsonObject template, string name, string ns, JsonObject owner)
    {
        var meta = template["metadata"] is JsonObject m ? (JsonObject)m.DeepClone() : new JsonObject();
        meta["name"] = name;
        meta["namespace"] = ns;
        meta.Remove("creationTimestamp");
        meta["ownerReferences"] = new JsonArray(OwnerReference(owner));
        return new JsonObject
        {
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }
}
