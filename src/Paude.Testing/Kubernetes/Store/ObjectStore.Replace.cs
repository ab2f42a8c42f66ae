using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;

namespace Paude.Testing.Kubernetes.Store;

// Writes to existing objects: PUT/patch results with optimistic concurrency, and read-modify-write under the lock.
internal sealed partial class ObjectStore
{
    /// <summary>
    /// Replaces an object (PUT, or the result of a patch). A non-empty <c>metadata.resourceVersion</c> in the new body
    /// must match the stored one (409 Conflict otherwise). <paramref name="statusOnly"/> writes only <c>status</c>
    /// (the /status subresource and controllers); a main-resource write keeps the stored status.
    /// </summary>
    public JsonObject Replace(ResourceType type, string? ns, string name, JsonObject obj, bool statusOnly = false)
    {
        lock (_gate)
        {
            var key = (type, ns ?? "", name);
            if (!_objects.TryGetValue(key, out var current))
            {
                throw KubeApiException.NotFound(type, name);
            }

            var meta = obj.Metadata();
            if (meta.Str("name") is { } bodyName && bodyName != name)
            {
                throw KubeApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
            }

            if (meta.Str("resourceVersion") is { Length: > 0 } rv && rv != current.Metadata().Str("resourceVersion"))
            {
                throw KubeApiException.Conflict(type, name);
            }

            JsonObject next;
            if (statusOnly)
            {
                next = (JsonObject)current.DeepClone();
                next["status"] = obj["status"]?.DeepClone();
            }
            else
            {
                next = (JsonObject)obj.DeepClone();
                next["kind"] = type.Kind;
                next["apiVersion"] = type.ApiVersion;
                var nextMeta = next.Metadata();
                var curMeta = current.Metadata();
                foreach (var fixedField in new[] { "uid", "creationTimestamp", "namespace", "name", "deletionTimestamp", "generation" })
                {
                    nextMeta.Remove(fixedField);
                    if (curMeta[fixedField] is { } v)
                    {
                        nextMeta[fixedField] = v.DeepClone();
                    }
                }

                if (type.HasStatus)
                {
                    next["status"] = current["status"]?.DeepClone();
                    if (next["status"] is null)
                    {
                        next.Remove("status");
                    }
                }

                Defaults.Apply(type, next);
                Validation.Validate(type, next, current);
                if (curMeta["generation"] is not null && !JsonNode.DeepEquals(current["spec"], next["spec"]))
                {
                    nextMeta["generation"] = curMeta.Int("generation", 1) + 1;
                }
            }

            if (JsonNode.DeepEquals(Stripped(current), Stripped(next)))
            {
                // A no-op write does not bump the resourceVersion, like the apiserver.
                return (JsonObject)current.DeepClone();
            }

            Commit("MODIFIED", type, ns ?? "", name, next);
            if (next.Metadata()["deletionTimestamp"] is not null && next.Metadata()["finalizers"] is not JsonArray { Count: > 0 }
                && type != ResourceTypes.Namespaces && DeferDeletion?.Invoke(type, next) != true)
            {
                RemoveLocked(type, ns ?? "", name);
            }

            return (JsonObject)next.DeepClone();
        }
    }

    /// <summary>Read-modify-write under the store lock (patches, controllers). The mutation gets a private copy.</summary>
    public JsonObject Update(ResourceType type, string? ns, string name, Func<JsonObject, JsonObject> mutate, bool statusOnly = false)
    {
        lock (_gate)
        {
            var current = Get(type, ns, name);
            var rvBefore = current.Metadata().Str("resourceVersion");
            var next = mutate(current);
            if (next.Metadata().Str("resourceVersion") is null)
            {
                next.Metadata()["resourceVersion"] = rvBefore;
            }

            return Replace(type, ns, name, next, statusOnly);
        }
    }
}
