using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;

namespace Paude.Testing.Kubernetes.Store;

/// <summary>
/// The object store: every object of every served resource, one global resourceVersion counter, optimistic
/// concurrency, owner-reference garbage collection and an ordered event feed for watches and controllers.
/// Objects are kept as JSON so what a client sent comes back field for field.
/// </summary>
internal sealed partial class ObjectStore(TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(ResourceType Type, string Ns, string Name), JsonObject> _objects = [];
    private long _resourceVersion = 1000;

    /// <summary>Mutates/rejects objects before they are stored (admission); may throw <see cref="KubeApiException"/>.</summary>
    public Action<ResourceType, JsonObject, JsonObject?>? Admission { get; set; }

    /// <summary>Decides whether a delete only marks the object (the runtime removes it later, like kubelet does for pods).</summary>
    public Func<ResourceType, JsonObject, bool>? DeferDeletion { get; set; }

    public long CurrentResourceVersion
    {
        get
        {
            lock (_gate)
            {
                return _resourceVersion;
            }
        }
    }

    public JsonObject Create(ResourceType type, string? ns, JsonObject obj)
    {
        var meta = obj.Metadata();
        obj["kind"] = type.Kind;
        obj["apiVersion"] = type.ApiVersion;
        if (type.Namespaced)
        {
            ns ??= meta.Str("namespace") ?? "default";
            meta["namespace"] = ns;
        }
        else
        {
            ns = "";
            meta.Remove("namespace");
        }

        if (string.IsNullOrEmpty(meta.Str("name")) && meta.Str("generateName") is { Length: > 0 } prefix)
        {
            meta["name"] = prefix + RandomSuffix(5);
        }

        var name = meta.Str("name") ?? "";
        Validation.Validate(type, obj, null);
        lock (_gate)
        {
            if (type.Namespaced && !_objects.ContainsKey((ResourceTypes.Namespaces, "", ns)))
            {
                throw KubeApiException.NotFound(ResourceTypes.Namespaces, ns);
            }

            if (type.Namespaced && _objects[(ResourceTypes.Namespaces, "", ns)].Metadata()["deletionTimestamp"] is not null)
            {
                throw KubeApiException.NamespaceTerminating(type, name, ns);
            }

            if (_objects.ContainsKey((type, ns, name)))
            {
                throw KubeApiException.AlreadyExists(type, name);
            }

            Admission?.Invoke(type, obj, null);
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Meta.Timestamp(time.GetUtcNow());
            meta.Remove("deletionTimestamp");
            if (type.Subresources.Contains("scale") || type == ResourceTypes.NetworkPolicies)
            {
                meta["generation"] = 1;
            }

            if (type == ResourceTypes.Pods || type.Subresources.Contains("scale"))
            {
                obj.Remove("status");
            }

            Defaults.Apply(type, obj);
            var stored = (JsonObject)obj.DeepClone();
            Commit("ADDED", type, ns, name, stored);
            return (JsonObject)stored.DeepClone();
        }
    }

    public JsonObject Get(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue((type, ns ?? "", name), out var obj)
                ? (JsonObject)obj.DeepClone()
                : throw KubeApiException.NotFound(type, name);
        }
    }

    public JsonObject? TryGet(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            return _objects.TryGetValue((type, ns ?? "", name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    public (List<JsonObject> Items, long ResourceVersion) List(ResourceType type, string? ns, Func<JsonObject, bool>? filter = null)
    {
        lock (_gate)
        {
            var items = _objects
                .Where(kv => kv.Key.Type == type && (ns is null || kv.Key.Ns == ns) && (filter is null || filter(kv.Value)))
                .OrderBy(kv => kv.Key.Ns, StringComparer.Ordinal).ThenBy(kv => kv.Key.Name, StringComparer.Ordinal)
                .Select(kv => (JsonObject)kv.Value.DeepClone())
                .ToList();
            return (items, _resourceVersion);
        }
    }

    /// <summary>Removes an object for good (the runtime finishing a deferred pod deletion).</summary>
    public void Remove(ResourceType type, string? ns, string name)
    {
        lock (_gate)
        {
            if (_objects.ContainsKey((type, ns ?? "", name)))
            {
                RemoveLocked(type, ns ?? "", name);
            }
        }
    }

    private JsonObject RemoveLocked(ResourceType type, string ns, string name)
    {
        var removed = _objects[(type, ns, name)];
        _objects.Remove((type, ns, name));
        var finalCopy = (JsonObject)removed.DeepClone();
        _resourceVersion++;
        finalCopy.Metadata()["resourceVersion"] = _resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Publish(new WatchEvent("DELETED", type, finalCopy, _resourceVersion));
        CollectDependents(removed.Uid());
        FinishWaitingOwners(removed, type, ns);
        if (type == ResourceTypes.Namespaces)
        {
            foreach (var key in _objects.Keys.Where(k => k.Type.Namespaced && k.Ns == name).ToList())
            {
                if (_objects.ContainsKey(key))
                {
                    DeleteLocked(key);
                }
            }
        }

        return (JsonObject)finalCopy.DeepClone();
    }

    private void Commit(string type, ResourceType resource, string ns, string name, JsonObject obj)
    {
        _resourceVersion++;
        obj.Metadata()["resourceVersion"] = _resourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects[(resource, ns, name)] = obj;
        Publish(new WatchEvent(type, resource, (JsonObject)obj.DeepClone(), _resourceVersion));
    }

    private static JsonObject Stripped(JsonObject obj)
    {
        var copy = (JsonObject)obj.DeepClone();
        copy.Metadata().Remove("resourceVersion");
        copy.Metadata().Remove("managedFields");
        return copy;
    }

    internal static string RandomSuffix(int length)
    {
        // The apiserver's alphabet for generated names: no vowels, no look-alike digits.
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });
    }
}
