using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

internal sealed partial class PodRuntime
{
    private int _sourcesChanged;

    /// <summary>
    /// Like the kubelet's volume manager: after a Secret or ConfigMap changes, the mounted (non-subPath) volumes of
    /// running pods are rewritten with the atomic writer, so the files change in place inside the container. A source
    /// that became invalid keeps the old files and gets a FailedMount event, as kubelet does.
    /// </summary>
    private void RefreshVolumes(List<JsonObject> pods)
    {
        foreach (var pod in pods)
        {
            if (pod.Metadata()["deletionTimestamp"] is not null || !_pods.ContainsKey(pod.Uid()))
            {
                continue;
            }

            var fsGroup = pod["spec"]?["securityContext"]?["fsGroup"] is JsonValue g && g.TryGetValue<long>(out var gid) ? gid : (long?)null;
            foreach (var volume in pod["spec"]?["volumes"].Objects() ?? [])
            {
                var (type, source) = volume["secret"] is JsonObject s ? (ResourceTypes.Secrets, s)
                    : volume["configMap"] is JsonObject m ? (ResourceTypes.ConfigMaps, m)
                    : (null, null);
                var volName = volume.Str("name") ?? "";
                if (type is null || resources.ExistingPodDirectory(pod.Uid(), type.Plural, volName) is not { } dir)
                {
                    continue;
                }

                try
                {
                    AtomicWriter.Write(dir, launch.Payload(pod, volName, type, source!), fsGroup, Time);
                }
                catch (LaunchFailure f)
                {
                    events.Record(pod, "Warning", f.EventReason, f.EventMessage);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    events.Record(pod, "Warning", "FailedMount", $"MountVolume.SetUp failed for volume \"{volName}\" : {e.Message}");
                }
            }
        }
    }
}
