using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Paude.Testing.Kubernetes.Api;

namespace Paude.Testing.Kubernetes.Store;

/// <summary>The subset of apiserver validation clients trip over, with the apiserver's own wording.</summary>
internal static partial class Validation
{
    /// <summary>The Secret/ConfigMap size limit (<c>core.MaxSecretSize</c>).</summary>
    public const int MaxDataSize = 1024 * 1024;

    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string Dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    public static void Validate(ResourceType type, JsonObject obj, JsonObject? old)
    {
        var name = obj.Name();
        var errors = new List<FieldError>();
        if (name.Length == 0)
        {
            errors.Add(new("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"));
        }
        else if (old is null)
        {
            ValidateName(type, name, errors);
        }

        if (type == ResourceTypes.Secrets && DataSize(obj, "data", base64: true) + DataSize(obj, "stringData", base64: false) > MaxDataSize)
        {
            errors.Add(new("data", "FieldValueTooLong", $"Too long: must have at most {MaxDataSize} bytes"));
        }

        if (type == ResourceTypes.ConfigMaps && DataSize(obj, "data", base64: false) + DataSize(obj, "binaryData", base64: true) > MaxDataSize)
        {
            errors.Add(new("[]", "FieldValueTooLong", $"Too long: must have at most {MaxDataSize} bytes"));
        }

        if (type == ResourceTypes.Pods)
        {
            var containers = obj["spec"]?["containers"] as JsonArray;
            if (containers is null || containers.Count == 0)
            {
                errors.Add(new("spec.containers", "FieldValueRequired", "Required value"));
            }
            else
            {
                var i = 0;
                foreach (var c in containers.OfType<JsonObject>())
                {
                    if (string.IsNullOrEmpty(c.Str("image")))
                    {
                        errors.Add(new($"spec.containers[{i}].image", "FieldValueRequired", "Required value"));
                    }

                    i++;
                }
            }
        }

        if (type.Subresources.Contains("scale") && obj["spec"]?["replicas"] is JsonValue r && r.TryGetValue<int>(out var replicas) && replicas < 0)
        {
            errors.Add(new("spec.replicas", "FieldValueInvalid", $"Invalid value: {replicas}: must be greater than or equal to 0"));
        }

        if (old is not null && type == ResourceTypes.StatefulSets
            && !JsonNode.DeepEquals(Without(old["spec"], "replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "ordinals"),
                                    Without(obj["spec"], "replicas", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "ordinals")))
        {
            errors.Add(new("spec", "FieldValueForbidden", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
        }

        if (errors.Count > 0)
        {
            throw KubeApiException.Invalid(type, name, errors);
        }
    }

    private static void ValidateName(ResourceType type, string name, List<FieldError> errors)
    {
        if (type == ResourceTypes.Namespaces)
        {
            if (name.Length > 63)
            {
                errors.Add(new("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be no more than 63 characters"));
            }
            else if (!Label().IsMatch(name))
            {
                errors.Add(new("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": {LabelMessage}"));
            }
        }
        else if (type == ResourceTypes.Services)
        {
            if (!Dns1035().IsMatch(name) || name.Length > 63)
            {
                errors.Add(new("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": {Dns1035Message}"));
            }
        }
        else if (name.Length > 253)
        {
            errors.Add(new("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": must be no more than 253 characters"));
        }
        else if (!Subdomain().IsMatch(name))
        {
            errors.Add(new("metadata.name", "FieldValueInvalid", $"Invalid value: \"{name}\": {SubdomainMessage}"));
        }
    }

    private static long DataSize(JsonObject obj, string property, bool base64)
    {
        long total = 0;
        if (obj[property] is JsonObject data)
        {
            foreach (var (key, value) in data)
            {
                var s = value?.GetValue<string>() ?? "";
                total += base64 ? (s.Length / 4 * 3) - s.Count(ch => ch == '=') : Encoding.UTF8.GetByteCount(s);
            }
        }

        return total;
    }

    private static JsonNode? Without(JsonNode? node, params string[] fields)
    {
        if (node is not JsonObject o)
        {
            return node;
        }

        var copy = (JsonObject)o.DeepClone();
        foreach (var f in fields)
        {
            copy.Remove(f);
        }

        return copy;
    }
}
