using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>Writes core/v1 Event objects the way kubelet and the controllers do (repeats bump <c>count</c>).</summary>
internal sealed class EventRecorder(ObjectStore store, TimeProvider time)
{
    public DateTimeOffset Now => time.GetUtcNow();

    public void Record(JsonObject involved, string type, string reason, string message, string component = "kubelet")
    {
        var ns = involved.Namespace() ?? "default";
        var now = Meta.Timestamp(time.GetUtcNow());
        var uid = involved.Uid();
        var existing = store.List(ResourceTypes.Events, ns, e =>
            e["involvedObject"]?.Str("uid") == uid && e.Str("reason") == reason && e.Str("message") == message).Items.FirstOrDefault();
        try
        {
            if (existing is not null)
            {
                store.Update(ResourceTypes.Events, ns, existing.Name(), e =>
                {
                    e["count"] = e.Int("count", 1) + 1;
                    e["lastTimestamp"] = now;
                    return e;
                });
                return;
            }

            var ev = new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = $"{involved.Name()}.{Guid.NewGuid():N}"[..Math.Min(involved.Name().Length + 17, 253)], ["namespace"] = ns },
                ["involvedObject"] = new JsonObject
                {
                    ["kind"] = involved.Str("kind"),
                    ["namespace"] = ns,
                    ["name"] = involved.Name(),
                    ["uid"] = uid,
                    ["apiVersion"] = involved.Str("apiVersion"),
                    ["resourceVersion"] = involved.Metadata().Str("resourceVersion"),
                },
                ["reason"] = reason,
                ["message"] = message,
                ["source"] = new JsonObject { ["component"] = component, ["host"] = "paude-test-node" },
                ["firstTimestamp"] = now,
                ["lastTimestamp"] = now,
                ["count"] = 1,
                ["type"] = type,
                ["eventTime"] = null,
                ["reportingComponent"] = component,
                ["reportingInstance"] = component == "kubelet" ? "paude-test-node" : "",
            };
            store.Create(ResourceTypes.Events, ns, ev);
        }
        catch (Api.KubeApiException)
        {
            // The namespace is going away; events are best effort, as in a real cluster.
        }
    }
}
