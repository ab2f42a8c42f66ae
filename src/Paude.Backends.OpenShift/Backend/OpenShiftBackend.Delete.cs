using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>
/// Delete: removes only objects that carry the session's labels, each by its UID (a Kubernetes delete
/// precondition), never by a derived name alone. A name another session (or a person) owns is therefore never
/// touched, and an object replaced between the listing and the delete is refused by the server, not removed.
/// </summary>
internal sealed partial class OpenShiftBackend
{
    /// <summary>The kinds a session owns, in deletion order (workloads first, so no pod is recreated meanwhile).</summary>
    private static readonly SessionKind[] Kinds =
    [
        new("statefulset", async (c, ns, sel, ct) => (await c.AppsV1.ListNamespacedStatefulSetAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.AppsV1.DeleteNamespacedStatefulSetAsync(n, ns, o, cancellationToken: ct)),
        new("deployment", async (c, ns, sel, ct) => (await c.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.AppsV1.DeleteNamespacedDeploymentAsync(n, ns, o, cancellationToken: ct)),
        new("service", async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedServiceAsync(n, ns, o, cancellationToken: ct)),
        new("configmap", async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedConfigMapAsync(n, ns, o, cancellationToken: ct)),
        new("networkpolicy", async (c, ns, sel, ct) => (await c.NetworkingV1.ListNamespacedNetworkPolicyAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(n, ns, o, cancellationToken: ct)),

        // volumeClaimTemplate PVCs are never garbage-collected with their StatefulSet; they carry the template's labels.
        new("persistentvolumeclaim", async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedPersistentVolumeClaimAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedPersistentVolumeClaimAsync(n, ns, o, cancellationToken: ct)),
        new("secret", async (c, ns, sel, ct) => (await c.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: sel, cancellationToken: ct).ConfigureAwait(false)).Items.Select(i => i.Metadata),
            (c, n, ns, o, ct) => c.CoreV1.DeleteNamespacedSecretAsync(n, ns, o, cancellationToken: ct)),
    ];

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken = default)
    {
        // Read up front: under retries a delete's own 404 is ambiguous (did our attempt whose answer was lost delete it?).
        var existed = (await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0;
        var selector = SessionLabels.SessionSelector(name);
        foreach (var kind in Kinds)
        {
            var objects = await _api.CallAsync($"list {kind.Name}s", (c, ct) => kind.List(c, Namespace, selector, ct), cancellationToken).ConfigureAwait(false);
            foreach (var meta in objects.ToList())
            {
                var options = new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = meta.Uid } };
                var objectName = meta.Name;
                await _api.DeleteAsync($"{kind.Name} {objectName}", (c, ct) => kind.Delete(c, objectName, Namespace, options, ct), cancellationToken).ConfigureAwait(false);
            }
        }

        using var timeout = new CancellationTokenSource(_options.DeleteTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitAllGoneAsync(name, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var left = await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false);
            throw new BackendOperationException($"Session {name} was deleted but these objects were still there after {_options.DeleteTimeout}: {string.Join(", ", left)}");
        }

        if (existed)
        {
            Log.Deleted(_logger, name);
        }

        return existed;
    }

    private async Task WaitAllGoneAsync(SessionName name, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while ((await RemainingObjectsAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            await Task.Delay(delay, _timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>Every object (pods included) still carrying the session's labels, as kind/name.</summary>
    private async Task<List<string>> RemainingObjectsAsync(SessionName name, CancellationToken cancellationToken)
    {
        var selector = SessionLabels.SessionSelector(name);
        var left = new List<string>();
        foreach (var kind in Kinds)
        {
            var objects = await _api.CallAsync($"list {kind.Name}s", (c, ct) => kind.List(c, Namespace, selector, ct), cancellationToken).ConfigureAwait(false);
            left.AddRange(objects.Select(m => $"{kind.Name}/{m.Name}"));
        }

        var pods = await _api.CallAsync("list pods", (c, ct) => c.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        left.AddRange(pods.Items.Select(i => "pod/" + i.Metadata.Name));
        return left;
    }

    /// <summary>One kind of a session's objects: how to list it by label and delete one by name with options.</summary>
    private sealed record SessionKind(
        string Name,
        Func<IKubernetes, string, string, CancellationToken, Task<IEnumerable<V1ObjectMeta>>> List,
        Func<IKubernetes, string, string, V1DeleteOptions, CancellationToken, Task> Delete);
}
