using System.Text;
using System.Text.Json.Nodes;

namespace Paude.Testing.Kubernetes.Store;

/// <summary>Defaulting the apiserver does on write, for the fields clients read back.</summary>
internal static class Defaults
{
    private static int _nextClusterIp = 10;

    public static void Apply(ResourceType type, JsonObject obj)
    {
        if (type == ResourceTypes.Secrets)
        {
            obj["type"] ??= "Opaque";
            if (obj["stringData"] is JsonObject stringData)
            {
                var data = obj.Obj("data");
                foreach (var (k, v) in stringData)
                {
                    data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v?.GetValue<string>() ?? ""));
                }

                obj.Remove("stringData");
            }
        }
        else if (type == ResourceTypes.Namespaces)
        {
            obj.Obj("spec")["finalizers"] ??= new JsonArray("kubernetes");
            obj.Obj("status")["phase"] ??= "Active";
            obj.Metadata().Obj("labels")["kubernetes.io/metadata.name"] = obj.Name();
        }
        else if (type == ResourceTypes.Services)
        {
            var spec = obj.Obj("spec");
            spec["type"] ??= "ClusterIP";
            spec["sessionAffinity"] ??= "None";
            if (spec["clusterIP"] is null)
            {
                var n = Interlocked.Increment(ref _nextClusterIp);
                spec["clusterIP"] = $"172.30.{n / 250}.{(n % 250) + 1}";
            }

            spec["clusterIPs"] ??= new JsonArray(spec["clusterIP"]!.GetValue<string>());
            foreach (var port in spec["ports"].Objects())
            {
                port["protocol"] ??= "TCP";
                port["targetPort"] ??= port["port"]?.DeepClone();
            }

            obj.Obj("status")["loadBalancer"] ??= new JsonObject();
        }
        else if (type == ResourceTypes.PersistentVolumeClaims)
        {
            var spec = obj.Obj("spec");
            spec["volumeMode"] ??= "Filesystem";
            spec["storageClassName"] ??= "standard";
            var status = obj.Obj("status");
            status["phase"] = "Bound";
            status["accessModes"] = spec["accessModes"]?.DeepClone();
            status["capacity"] = spec["resources"]?["requests"]?.DeepClone();
            spec["volumeName"] ??= "pvc-" + obj.Uid();
        }
        else if (type == ResourceTypes.StatefulSets || type == ResourceTypes.Deployments)
        {
            var spec = obj.Obj("spec");
            spec["replicas"] ??= 1;
            spec["revisionHistoryLimit"] ??= 10;
            if (type == ResourceTypes.StatefulSets)
            {
                spec["podManagementPolicy"] ??= "OrderedReady";
                spec["updateStrategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } };
                spec["persistentVolumeClaimRetentionPolicy"] ??= new JsonObject { ["whenDeleted"] = "Retain", ["whenScaled"] = "Retain" };
            }
            else
            {
                spec["progressDeadlineSeconds"] ??= 600;
                spec["strategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxSurge"] = "25%", ["maxUnavailable"] = "25%" } };
            }

            if (spec["template"] is JsonObject template)
            {
                PodSpec(template.Obj("spec"));
            }
        }
        else if (type == ResourceTypes.Pods)
        {
            PodSpec(obj.Obj("spec"));
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        foreach (var c in spec["containers"].Objects())
        {
            c["terminationMessagePath"] ??= "/dev/termination-log";
            c["terminationMessagePolicy"] ??= "File";
            c["imagePullPolicy"] ??= c.Str("image") is { } image && (image.EndsWith(":latest", StringComparison.Ordinal) || !image.Contains(':', StringComparison.Ordinal)) ? "Always" : "IfNotPresent";
            c["resources"] ??= new JsonObject();
        }
    }
}
