using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// volumeMounts → podman --volume/--tmpfs: PVC, emptyDir (disk or Memory), Secret and ConfigMap files, subPath.
internal sealed partial class PodLaunch
{
    private async Task VolumesAsync(JsonObject pod, JsonObject container, List<string> args, CancellationToken ct)
    {
        var ns = pod.Namespace()!;
        var volumes = pod["spec"]?["volumes"].Objects().ToDictionary(v => v.Str("name") ?? "", StringComparer.Ordinal) ?? [];
        var fsGroup = Long(pod["spec"]?["securityContext"] as JsonObject, "fsGroup");
        foreach (var mount in container["volumeMounts"].Objects())
        {
            var volName = mount.Str("name") ?? "";
            var path = mount.Str("mountPath") ?? "";
            var ro = mount["readOnly"] is JsonValue r && r.GetValue<bool>();
            if (!volumes.TryGetValue(volName, out var volume))
            {
                throw LaunchFailure.ConfigError($"cannot find volume \"{volName}\" to mount into container \"{container.Str("name")}\"");
            }

            var subPath = mount.Str("subPath") is { Length: > 0 } sp ? sp : null;
            if (subPath is not null && (subPath.StartsWith('/') || subPath.Split('/').Contains("..")))
            {
                throw LaunchFailure.ConfigError($"failed to prepare subPath for volumeMount \"{volName}\" of container \"{container.Str("name")}\": invalid subPath {subPath}");
            }

            if (subPath is not null && volume["secret"] is null && volume["configMap"] is null && volume["emptyDir"]?.Str("medium") is not (null or ""))
            {
                throw LaunchFailure.ConfigError($"subPath on volume \"{volName}\" is not supported by the Kubernetes test server (only Secret, ConfigMap and disk emptyDir volumes)");
            }

            if (volume["persistentVolumeClaim"] is JsonObject pvcRef)
            {
                if (subPath is not null)
                {
                    throw LaunchFailure.ConfigError($"subPath on volume \"{volName}\" is not supported by the Kubernetes test server (only Secret, ConfigMap and disk emptyDir volumes)");
                }

                var claim = pvcRef.Str("claimName") ?? "";
                if (store.TryGet(ResourceTypes.PersistentVolumeClaims, ns, claim) is null)
                {
                    throw new LaunchFailure("ContainerCreating", "", "FailedScheduling", $"0/1 nodes are available: persistentvolumeclaim \"{claim}\" not found.");
                }

                var volumeName = await names.EnsureVolumeAsync(ns, claim, ct).ConfigureAwait(false);
                args.AddRange(["--volume", $"{volumeName}:{path}{(ro || (pvcRef["readOnly"] is JsonValue pr && pr.GetValue<bool>()) ? ":ro" : "")}"]);
            }
            else if (volume["emptyDir"] is JsonObject emptyDir)
            {
                if (emptyDir.Str("medium") == "Memory")
                {
                    var size = emptyDir.Str("sizeLimit") is { } limit ? $",size={Quantity.Bytes(limit)}" : "";
                    args.AddRange(["--tmpfs", $"{path}:rw,mode=0777{size}"]);
                }
                else
                {
                    var dir = names.PodDirectory(pod.Uid(), "empty-dir", volName);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("777", 8));
                    }
                    if (subPath is not null)
                    {
                        dir = Directory.CreateDirectory(Path.Combine(dir, subPath)).FullName;
                    }

                    args.AddRange(["--volume", $"{dir}:{path}{(ro ? ":ro" : "")}"]);
                }
            }
            else if (volume["secret"] is JsonObject secretVol)
            {
                var dir = WriteFiles(pod, volName, ResourceTypes.Secrets, secretVol, fsGroup);
                args.AddRange(["--volume", $"{SubPathSource(dir, subPath)}:{path}:ro"]);
            }
            else if (volume["configMap"] is JsonObject mapVol)
            {
                var dir = WriteFiles(pod, volName, ResourceTypes.ConfigMaps, mapVol, fsGroup);
                args.AddRange(["--volume", $"{SubPathSource(dir, subPath)}:{path}:ro"]);
            }
            else
            {
                throw LaunchFailure.Mount(volName, "this volume type is not supported by the Kubernetes test server");
            }
        }
    }

    /// <summary>
    /// A subPath of a Secret/ConfigMap volume is bound from the current timestamped directory, so, as with a real
    /// kubelet, it keeps its content when the object changes (only whole-volume mounts are refreshed).
    /// </summary>
    private static string SubPathSource(string dir, string? subPath)
    {
        if (subPath is null)
        {
            return dir;
        }

        var current = Path.Combine(dir, new FileInfo(Path.Combine(dir, "..data")).LinkTarget ?? "..data", subPath);
        return Path.Exists(current) ? current : throw LaunchFailure.ConfigError($"failed to prepare subPath for volumeMount: {subPath} does not exist in the volume");
    }

    /// <summary>Writes a Secret/ConfigMap volume's files (atomic writer layout) with defaultMode/items modes and fsGroup ownership.</summary>
    private string WriteFiles(JsonObject pod, string volName, ResourceType type, JsonObject volume, long? fsGroup)
    {
        var dir = names.PodDirectory(pod.Uid(), type.Plural, volName);
        AtomicWriter.Write(dir, Payload(pod, volName, type, volume), fsGroup, time);
        return dir;
    }

    /// <summary>The files a Secret/ConfigMap volume projects now; <see cref="LaunchFailure"/> when the source or a key is missing.</summary>
    internal List<ProjectedFile> Payload(JsonObject pod, string volName, ResourceType type, JsonObject volume)
    {
        var sourceName = (type == ResourceTypes.Secrets ? volume.Str("secretName") : volume.Str("name")) ?? "";
        var source = store.TryGet(type, pod.Namespace(), sourceName);
        var optional = volume["optional"] is JsonValue o && o.GetValue<bool>();
        if (source is null && !optional)
        {
            throw LaunchFailure.Mount(volName, $"{type.Singular} \"{sourceName}\" not found");
        }

        var data = DataBytes(source, type == ResourceTypes.Secrets);
        var defaultMode = volume.Int("defaultMode", 420);
        var items = volume["items"].Objects().ToList();
        var files = items.Count > 0
            ? items.Select(i => (Key: i.Str("key") ?? "", Path: i.Str("path") ?? "", Mode: i.Int("mode", defaultMode)))
            : data.Keys.Select(k => (Key: k, Path: k, Mode: defaultMode));
        var payload = new List<ProjectedFile>();
        foreach (var (key, relative, mode) in files)
        {
            if (!data.TryGetValue(key, out var bytes))
            {
                if (optional)
                {
                    continue;
                }

                throw LaunchFailure.Mount(volName, $"configmap references non-existent config key: {key}");
            }

            if (relative.Length == 0 || relative.Split('/').Any(part => part is "" or ".." || part.StartsWith("..", StringComparison.Ordinal)))
            {
                throw LaunchFailure.Mount(volName, $"invalid path {relative}");
            }

            payload.Add(new ProjectedFile(relative, bytes, mode));
        }

        return payload;
    }
}
