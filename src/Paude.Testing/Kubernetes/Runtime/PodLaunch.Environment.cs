using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

// Env and envFrom: Secret/ConfigMap references, fieldRef and $(VAR) expansion, as the kubelet resolves them.
internal sealed partial class PodLaunch
{
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

    [GeneratedRegex(@"^metadata\.(labels|annotations)\['(.+)'\]$")]
    private static partial Regex LabelPath();

    [GeneratedRegex(@"\$\$?\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VarRef();
}
