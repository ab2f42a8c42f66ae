using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;

namespace Paude.Testing.Kubernetes.Store;

internal sealed partial class ObjectStore
{
    private const string ForegroundFinalizer = "foregroundDeletion";

    /// <summary>
    /// Deletes like the apiserver: pods are marked with their grace period (the runtime removes them; grace 0 removes
    /// at once); a namespace turns <c>Terminating</c>, its content is deleted and it goes when empty; dependents are
    /// garbage collected in the background, orphaned (<c>Orphan</c>) or first (<c>Foreground</c>: the owner stays,
    /// with the <c>foregroundDeletion</c> finalizer, until they are gone). Returns the object as it now is.
    /// </summary>
    public JsonObject Delete(ResourceType type, string? ns, string name, string? preconditionUid = null, long? gracePeriodSeconds = null, string? propagationPolicy = null, string? preconditionResourceVersion = null)
    {
        // Checked before the object is looked up, like the apiserver's handler validates DeleteOptions first.
        if (propagationPolicy is not (null or "Background" or "Foreground" or "Orphan"))
        {
            throw new KubeApiException(422, "Invalid", $"DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{propagationPolicy}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"");
        }

        lock (_gate)
        {
            var key = (type, ns ?? "", name);
            if (!_objects.TryGetValue(key, out var current))
            {
                throw KubeApiException.NotFound(type, name);
            }

            if (preconditionUid is not null && preconditionUid != current.Uid())
            {
                throw new KubeApiException(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": Precondition failed: UID in precondition: {preconditionUid}, UID in object meta: {current.Uid()}");
            }

            if (preconditionResourceVersion is not null && preconditionResourceVersion != current.Metadata().Str("resourceVersion"))
            {
                throw new KubeApiException(409, "Conflict", $"Operation cannot be fulfilled on {type.Qualified} \"{name}\": Precondition failed: ResourceVersion in precondition: {preconditionResourceVersion}, ResourceVersion in object meta: {current.Metadata().Str("resourceVersion")}");
            }

            if (current.Metadata()["deletionTimestamp"] is not null)
            {
                return (JsonObject)current.DeepClone();
            }

            var now = time.GetUtcNow();
            if (type == ResourceTypes.Namespaces)
            {
                var terminating = Mark(current, now, null);
                terminating.Obj("status")["phase"] = "Terminating";
                Commit("MODIFIED", type, "", name, terminating);
                foreach (var content in _objects.Keys.Where(k => k.Type.Namespaced && k.Ns == name).ToList())
                {
                    if (_objects.ContainsKey(content))
                    {
                        DeleteLocked(content);
                    }
                }

                var result = (JsonObject)_objects[key].DeepClone();
                FinishNamespaceIfEmpty(name);
                return result;
            }

            var dependents = Dependents(current.Uid());
            if (propagationPolicy == "Orphan")
            {
                foreach (var dependent in dependents)
                {
                    var freed = (JsonObject)_objects[dependent].DeepClone();
                    var refs = freed.Metadata()["ownerReferences"] as JsonArray;
                    foreach (var owned in refs.Objects().Where(r => r.Str("uid") == current.Uid()).ToList())
                    {
                        refs!.Remove(owned);
                    }

                    Commit("MODIFIED", dependent.Type, dependent.Ns, dependent.Name, freed);
                }
            }
            else if (propagationPolicy == "Foreground" && dependents.Count > 0)
            {
                var waiting = Mark(current, now, null);
                var finalizers = waiting.Metadata()["finalizers"] as JsonArray ?? [];
                finalizers.Add(ForegroundFinalizer);
                waiting.Metadata()["finalizers"] = finalizers;
                Commit("MODIFIED", type, key.Item2, name, waiting);
                foreach (var dependent in dependents.Where(_objects.ContainsKey))
                {
                    DeleteLocked(dependent);
                }

                return (JsonObject)(_objects.GetValueOrDefault(key) ?? waiting).DeepClone();
            }

            var grace = type == ResourceTypes.Pods ? gracePeriodSeconds ?? current["spec"].Int("terminationGracePeriodSeconds", 30) : (long?)null;
            var hasFinalizers = current.Metadata()["finalizers"] is JsonArray { Count: > 0 };
            if (hasFinalizers || (grace != 0 && DeferDeletion?.Invoke(type, current) == true))
            {
                var marked = Mark(current, now, grace);
                Commit("MODIFIED", type, key.Item2, name, marked);
                return (JsonObject)marked.DeepClone();
            }

            return RemoveLocked(type, key.Item2, name);
        }
    }

    private static JsonObject Mark(JsonObject current, DateTimeOffset now, long? grace)
    {
        var marked = (JsonObject)current.DeepClone();
        marked.Metadata()["deletionTimestamp"] = Meta.Timestamp(now + TimeSpan.FromSeconds(grace ?? 0));
        marked.Metadata()["deletionGracePeriodSeconds"] = grace ?? 0;
        return marked;
    }

    private List<(ResourceType Type, string Ns, string Name)> Dependents(string ownerUid) =>
        _objects.Where(kv => kv.Value.Metadata()["ownerReferences"].Objects().Any(r => r.Str("uid") == ownerUid)).Select(kv => kv.Key).ToList();

    private void CollectDependents(string ownerUid)
    {
        foreach (var key in Dependents(ownerUid))
        {
            if (_objects.ContainsKey(key))
            {
                DeleteLocked(key);
            }
        }
    }

    /// <summary>
    /// The garbage collector's sweep: deletes every object whose owners (by uid) are all gone. An
    /// owner's removal collects its dependents at once, but a controller working from a snapshot can still create a
    /// dependent of an owner removed a moment before (a ReplicaSet's pod after the Deployment's delete); the real GC
    /// deletes such orphans too, and without this they would live forever. Returns how many were deleted.
    /// </summary>
    public int CollectOrphans()
    {
        lock (_gate)
        {
            // By uid alone (uids are unique in the cluster): an owner may be cluster-scoped while its dependent is not.
            var live = _objects.Values.Select(o => o.Uid()).ToHashSet(StringComparer.Ordinal);
            var orphans = _objects
                .Where(kv => kv.Value.Metadata()["ownerReferences"] is JsonArray { Count: > 0 } refs
                    && refs.Objects().All(r => !live.Contains(r.Str("uid") ?? "")))
                .Select(kv => kv.Key)
                .ToList();
            foreach (var key in orphans.Where(_objects.ContainsKey))
            {
                DeleteLocked(key);
            }

            return orphans.Count;
        }
    }

    private void DeleteLocked((ResourceType Type, string Ns, string Name) key)
    {
        var current = _objects[key];
        if (current.Metadata()["deletionTimestamp"] is not null)
        {
            return;
        }

        if (DeferDeletion?.Invoke(key.Type, current) == true)
        {
            var grace = key.Type == ResourceTypes.Pods ? current["spec"].Int("terminationGracePeriodSeconds", 30) : (long?)null;
            Commit("MODIFIED", key.Type, key.Ns, key.Name, Mark(current, time.GetUtcNow(), grace));
        }
        else
        {
            RemoveLocked(key.Type, key.Ns, key.Name);
        }
    }

    /// <summary>After an object is gone: owners waiting in foreground deletion and a terminating namespace may go too.</summary>
    private void FinishWaitingOwners(JsonObject removed, ResourceType type, string ns)
    {
        foreach (var ownerUid in removed.Metadata()["ownerReferences"].Objects().Select(r => r.Str("uid")).ToList())
        {
            var owner = _objects.FirstOrDefault(kv => kv.Value.Uid() == ownerUid && kv.Key.Ns == ns);
            if (owner.Value is { } o && o.Metadata()["finalizers"] is JsonArray f && f.Any(IsForeground)
                && Dependents(o.Uid()).Count == 0)
            {
                var done = (JsonObject)o.DeepClone();
                var finalizers = (JsonArray)done.Metadata()["finalizers"]!;
                foreach (var x in finalizers.Where(IsForeground).ToList())
                {
                    finalizers.Remove(x);
                }

                Commit("MODIFIED", owner.Key.Type, owner.Key.Ns, owner.Key.Name, done);
                if (finalizers.Count == 0)
                {
                    RemoveLocked(owner.Key.Type, owner.Key.Ns, owner.Key.Name);
                }
            }
        }

        if (type.Namespaced)
        {
            FinishNamespaceIfEmpty(ns);
        }
    }

    private static bool IsForeground(JsonNode? finalizer) =>
        finalizer is JsonValue v && v.TryGetValue<string>(out var text) && text == ForegroundFinalizer;

    private void FinishNamespaceIfEmpty(string ns)
    {
        if (_objects.TryGetValue((ResourceTypes.Namespaces, "", ns), out var namespaceObject)
            && namespaceObject.Metadata()["deletionTimestamp"] is not null
            && !_objects.Keys.Any(k => k.Type.Namespaced && k.Ns == ns))
        {
            RemoveLocked(ResourceTypes.Namespaces, "", ns);
        }
    }
}
