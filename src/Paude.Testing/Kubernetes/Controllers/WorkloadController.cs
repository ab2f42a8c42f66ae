using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Runtime;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Controllers;

/// <summary>
/// The StatefulSet, Deployment and ReplicaSet controllers in one loop: woken by any change of those objects or of
/// pods, it reconciles every workload from the store (level-triggered, so a missed wake-up costs nothing).
/// </summary>
internal sealed partial class WorkloadController(ObjectStore store, EventRecorder events, TimeSpan resync)
{
    private readonly Signal _wake = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var feed = store.Subscribe(store.CurrentResourceVersion, out _);
        var pump = Task.Run(async () =>
        {
            await foreach (var e in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (e.Resource == ResourceTypes.StatefulSets || e.Resource == ResourceTypes.Deployments || e.Resource == ResourceTypes.ReplicaSets || e.Resource == ResourceTypes.Pods)
                {
                    _wake.Set();
                }
            }
        }, cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                foreach (var sts in store.List(ResourceTypes.StatefulSets, null).Items)
                {
                    Guard(() => ReconcileStatefulSet(Fresh(ResourceTypes.StatefulSets, sts)));
                }

                foreach (var deployment in store.List(ResourceTypes.Deployments, null).Items)
                {
                    Guard(() => ReconcileDeployment(Fresh(ResourceTypes.Deployments, deployment)));
                }

                foreach (var rs in store.List(ResourceTypes.ReplicaSets, null).Items)
                {
                    Guard(() => ReconcileReplicaSet(Fresh(ResourceTypes.ReplicaSets, rs)));
                }

                // This pass worked from snapshots: a workload deleted meanwhile may have just been given a dependent.
                store.CollectOrphans();

                await _wake.WaitAsync(resync, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Server stopping.
        }
        finally
        {
            store.Unsubscribe(feed);
            await pump.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The object as it is now (the list is a snapshot and the previous workloads' reconciles took time), so a workload
    /// deleted meanwhile is not acted on; a vanished one throws NotFound, which <see cref="Guard"/> swallows.
    /// </summary>
    private JsonObject Fresh(ResourceType type, JsonObject snapshot) =>
        store.TryGet(type, snapshot.Namespace(), snapshot.Name()) is { } now && now.Uid() == snapshot.Uid()
            ? now
            : throw KubeApiException.NotFound(type, snapshot.Name());

    private static void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (KubeApiException)
        {
            // The object changed or vanished under us: the next pass sees the new state.
        }
    }

    private List<JsonObject> OwnedPods(JsonObject owner) =>
        store.List(ResourceTypes.Pods, owner.Namespace(), p => p.Metadata()["ownerReferences"].Objects().Any(r => r.Str("uid") == owner.Uid())).Items;

    private static JsonObject OwnerReference(JsonObject owner) => new()
    {
        ["apiVersion"] = owner.Str("apiVersion"),
        ["kind"] = owner.Str("kind"),
        ["name"] = owner.Name(),
        ["uid"] = owner.Uid(),
        ["controller"] = true,
        ["blockOwnerDeletion"] = true,
    };

    internal static bool IsReady(JsonObject pod) =>
        pod.Metadata()["deletionTimestamp"] is null
        && pod["status"]?["conditions"].Objects().Any(c => c.Str("type") == "Ready" && c.Str("status") == "True") == true;

    /// <summary>A short stable hash of a pod template, in the apiserver's safe alphabet.</summary>
    internal static string TemplateHash(JsonNode? template)
    {
        const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(template?.ToJsonString() ?? ""));
        return new string(bytes.Take(10).Select(b => Alphabet[b % Alphabet.Length]).ToArray());
    }

    private JsonObject? TryCreatePod(JsonObject owner, JsonObject pod, string successMessage, Func<string, string> failureMessage)
    {
        try
        {
            var created = store.Create(ResourceTypes.Pods, owner.Namespace(), pod);
            events.Record(owner, "Normal", "SuccessfulCreate", successMessage, ControllerName(owner));
            return created;
        }
        catch (KubeApiException e) when (e.Code is 403 or 422)
        {
            events.Record(owner, "Warning", "FailedCreate", failureMessage(e.Message), ControllerName(owner));
            return null;
        }
    }

    private static string ControllerName(JsonObject owner) => owner.Str("kind") switch
    {
        "StatefulSet" => "statefulset-controller",
        "Deployment" => "deployment-controller",
        _ => "replicaset-controller",
    };

    private static void SetIfPositive(JsonObject status, string field, int value)
    {
        // These status fields are omitempty in the real API: absent when zero.
        if (value > 0)
        {
            status[field] = value;
        }
    }
}
