using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Turns one container of a pod into a <c>podman run</c> argument vector: env (incl. Secret/ConfigMap refs and
/// $(VAR) expansion), volumes (PVC → named volume, Secret/ConfigMap → files with their modes, emptyDir → host dir,
/// emptyDir Memory → tmpfs), securityContext and network aliases for the Services selecting the pod.
/// </summary>
internal sealed partial class PodLaunch(ObjectStore store, ServerResources names, PodmanCli podman, TimeProvider time)
{
    public async Task<List<string>> BuildAsync(JsonObject pod, int index, CancellationToken cancellationToken)
    {
        var ns = pod.Namespace()!;
        var spec = pod.Obj("spec");
        var container = spec["containers"].Objects().ElementAt(index);
        var containerName = container.Str("name") ?? $"c{index}";
        var args = new List<string> { "create", "--init", "--name", names.Container(ns, pod.Name(), containerName) };
        foreach (var (k, v) in names.Labels)
        {
            args.Add("--label");
            args.Add($"{k}={v}");
        }

        args.AddRange(["--label", $"{ServerResources.PodLabel}={ns}/{pod.Name()}", "--label", $"{ServerResources.PodUidLabel}={pod.Uid()}"]);

        if (index == 0)
        {
            args.AddRange(["--network", names.Network, "--hostname", spec.Str("hostname") ?? pod.Name()]);
            foreach (var alias in Aliases(pod))
            {
                args.AddRange(["--network-alias", alias]);
            }
        }
        else
        {
            args.AddRange(["--network", "container:" + names.Container(ns, pod.Name(), spec["containers"].Objects().First().Str("name") ?? "c0")]);
        }

        foreach (var env in Environment(pod, container))
        {
            args.AddRange(["--env", env]);
        }

        if (container.Str("workingDir") is { Length: > 0 } wd)
        {
            args.AddRange(["--workdir", wd]);
        }

        await SecurityAsync(pod, container, args, cancellationToken).ConfigureAwait(false);
        await VolumesAsync(pod, container, args, cancellationToken).ConfigureAwait(false);

        var command = Strings(container["command"]);
        var commandArgs = Strings(container["args"]);
        if (command.Count > 0)
        {
            args.AddRange(["--entrypoint", new JsonArray(command.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()).ToJsonString()]);
        }

        args.Add(container.Str("image")!);
        args.AddRange(commandArgs);
        return args;
    }

    /// <summary>Every Service in the pod's namespace whose selector matches the pod, by its short and cluster names.</summary>
    public IEnumerable<string> Aliases(JsonObject pod)
    {
        var ns = pod.Namespace()!;
        var labels = pod.Labels();
        var services = store.List(ResourceTypes.Services, ns).Items;
        foreach (var svc in services)
        {
            var selector = Meta.StringMap(svc["spec"]?["selector"]);
            if (selector.Count > 0 && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            {
                var name = svc.Name();
                yield return name;
                yield return $"{name}.{ns}.svc";
                yield return $"{name}.{ns}.svc.cluster.local";
                if (pod["spec"]?.Str("subdomain") == name || (pod["spec"]?.Str("hostname") is not null && pod["spec"]?.Str("subdomain") == name))
                {
                    yield return $"{pod.Name()}.{name}";
                }
            }
        }
    }

    private List<string> Environment(JsonObject pod, JsonObject container)
    {
        var ns = pod.Namespace()!;
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var from in container["envFrom"].Objects())
        {
            var prefix = from.Str("prefix") ?? "";
            if (from["secretRef"] is JsonObject sref)
            {
                var secret = Source(ResourceTypes.Secrets, ns, sref);
                foreach (var (k, v) in Data(secret, base64: true))
                {
                    env[prefix + k] = v;
                }
            }

            if (from["configMapRef"] is JsonObject cref)
            {
                var map = Source(ResourceTypes.ConfigMaps, ns, cref);
                foreach (var (k, v) in Data(map, base64: false))
                {
                    env[prefix + k] = v;
                }
            }
        }

        foreach (var e in container["env"].Objects())
        {
            var name = e.Str("name") ?? "";
            if (e["valueFrom"] is JsonObject vf)
            {
                var value = ValueFrom(pod, vf);
                if (value is not null)
                {
                    env[name] = value;
                }
            }
            else
            {
                env[name] = Expand(e.Str("value") ?? "", env);
            }
        }

        return env.Select(kv => $"{kv.Key}={kv.Value}").ToList();
    }

    private string? ValueFrom(JsonObject pod, JsonObject vf)
    {
        var ns = pod.Namespace()!;
        foreach (var (prop, type, kindName, base64) in new[] { ("secretKeyRef", ResourceTypes.Secrets, "Secret", true), ("configMapKeyRef", ResourceTypes.ConfigMaps, "ConfigMap", false) })
        {
            if (vf[prop] is JsonObject r)
            {
                var source = Source(type, ns, r);
                if (source is null)
                {
                    return null;
                }

                var key = r.Str("key") ?? "";
                var data = Data(source, base64);
                if (data.TryGetValue(key, out var value))
                {
                    return value;
                }

                if (r["optional"] is JsonValue o && o.GetValue<bool>())
                {
                    return null;
                }

                throw LaunchFailure.ConfigError($"couldn't find key {key} in {kindName} {ns}/{r.Str("name")}");
            }
        }

        if (vf["fieldRef"] is JsonObject f)
        {
            var path = f.Str("fieldPath") ?? "";
            var label = LabelPath().Match(path);
            return label.Success
                ? pod.Labels().GetValueOrDefault(label.Groups[2].Value)
                : path switch
                {
                    "metadata.name" => pod.Name(),
                    "metadata.namespace" => pod.Namespace(),
                    "metadata.uid" => pod.Uid(),
                    "spec.nodeName" => "paude-test-node",
                    "spec.serviceAccountName" => pod["spec"]?.Str("serviceAccountName") ?? "default",
                    "status.hostIP" => "127.0.0.1",
                    _ => pod.Path(path),
                };
        }

        return null;
    }

    private JsonObject? Source(ResourceType type, string ns, JsonObject reference)
    {
        var name = reference.Str("name") ?? "";
        var found = store.TryGet(type, ns, name);
        if (found is null && !(reference["optional"] is JsonValue o && o.GetValue<bool>()))
        {
            throw LaunchFailure.ConfigError($"{type.Singular} \"{name}\" not found");
        }

        return found;
    }

    internal static Dictionary<string, string> Data(JsonObject? source, bool base64)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in DataBytes(source, base64))
        {
            result[k] = Encoding.UTF8.GetString(v);
        }

        return result;
    }

    internal static Dictionary<string, byte[]> DataBytes(JsonObject? source, bool secret)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        if (source is null)
        {
            return result;
        }

        foreach (var (k, v) in Meta.StringMap(source["data"]))
        {
            result[k] = secret ? Convert.FromBase64String(v) : Encoding.UTF8.GetBytes(v);
        }

        if (!secret)
        {
            foreach (var (k, v) in Meta.StringMap(source["binaryData"]))
            {
                result[k] = Convert.FromBase64String(v);
            }
        }

        return result;
    }

    private static string Expand(string value, Dictionary<string, string> env) =>
        VarRef().Replace(value, m => m.Value.StartsWith("$$", StringComparison.Ordinal) ? m.Value[1..] : env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private async Task SecurityAsync(JsonObject pod, JsonObject container, List<string> args, CancellationToken ct)
    {
        var podSc = pod["spec"]?["securityContext"] as JsonObject;
        var sc = container["securityContext"] as JsonObject;
        var uid = Long(sc, "runAsUser") ?? Long(podSc, "runAsUser");
        var gid = Long(sc, "runAsGroup") ?? Long(podSc, "runAsGroup");
        var nonRoot = Bool(sc, "runAsNonRoot") ?? Bool(podSc, "runAsNonRoot") ?? false;
        if (nonRoot)
        {
            if (uid == 0)
            {
                throw LaunchFailure.ConfigError("container's runAsUser breaks non-root policy (pod: \"" + pod.Name() + "_" + pod.Namespace() + "(" + pod.Uid() + ")\", container: " + container.Str("name") + ")");
            }

            if (uid is null)
            {
                var user = (await podman.CheckedAsync(["image", "inspect", "--format", "{{.Config.User}}", container.Str("image")!], ct).ConfigureAwait(false)).Trim();
                if (user.Length == 0 || user == "root" || user.StartsWith('0') && (user.Length == 1 || user[1] == ':'))
                {
                    throw LaunchFailure.ConfigError("container has runAsNonRoot and image will run as root (pod: \"" + pod.Name() + "_" + pod.Namespace() + "(" + pod.Uid() + ")\", container: " + container.Str("name") + ")");
                }
            }
        }

        if (uid is not null)
        {
            args.AddRange(["--user", $"{uid}:{gid ?? 0}"]);
        }

        if (Long(podSc, "fsGroup") is { } fsGroup)
        {
            args.AddRange(["--group-add", fsGroup.ToString(CultureInfo.InvariantCulture)]);
        }

        foreach (var g in podSc?["supplementalGroups"] as JsonArray ?? [])
        {
            args.AddRange(["--group-add", g!.ToJsonString()]);
        }

        if (Bool(sc, "privileged") == true)
        {
            args.Add("--privileged");
        }

        if (Bool(sc, "allowPrivilegeEscalation") == false)
        {
            args.AddRange(["--security-opt", "no-new-privileges"]);
        }

        if (Bool(sc, "readOnlyRootFilesystem") == true)
        {
            args.Add("--read-only");
        }

        foreach (var cap in Strings(sc?["capabilities"]?["drop"]))
        {
            args.AddRange(["--cap-drop", cap]);
        }

        foreach (var cap in Strings(sc?["capabilities"]?["add"]))
        {
            args.AddRange(["--cap-add", cap]);
        }
    }

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

    internal static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(x => x?.GetValue<string>() ?? "").ToList() : [];

    private static long? Long(JsonObject? o, string property) =>
        o?[property] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static bool? Bool(JsonObject? o, string property) =>
        o?[property] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;

    [GeneratedRegex(@"^metadata\.(labels|annotations)\['(.+)'\]$")]
    private static partial Regex LabelPath();

    [GeneratedRegex(@"\$\$?\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VarRef();
}
