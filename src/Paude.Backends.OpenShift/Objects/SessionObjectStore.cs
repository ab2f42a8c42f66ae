using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Backend;
using Paude.Backends.OpenShift.Manifests;
using Paude.Errors;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Objects;

/// <summary>
/// Walks <see cref="SessionObjects"/> against the cluster: creates a session's objects, re-creates the repairable
/// ones that went missing, deletes them and waits until none is left. Deletes remove only objects that carry the
/// session's labels, each by its UID (a Kubernetes delete precondition), never by a derived name alone: a name another
/// session (or a person) owns is never touched, and an object replaced between the listing and the delete is refused
/// by the server, not removed.
/// </summary>
internal sealed class SessionObjectStore(KubeApi api, TimeSpan deleteTimeout, TimeProvider timeProvider)
{
    private string Namespace => api.Namespace;

    /// <summary>
    /// Creates every row that has a manifest, in table order, and records each removal in <paramref name="created"/>
    /// (a named row a controller makes, the PVC, is recorded before its controller exists).
    /// </summary>
    public async Task CreateAsync(SessionObjectContext context, List<(string What, Func<IKubernetes, CancellationToken, Task> Delete)> created, CancellationToken cancellationToken)
    {
        var session = context.Input.Name;
        foreach (var row in SessionObjects.All)
        {
            if (row.Name is null)
            {
                // Sets: the credential writer makes the Secrets (and records their removal), controllers the rest.
                continue;
            }

            var objectName = row.Name(session);
            var what = row.Describe(session);
            if (row.Build is { } build)
            {
                var body = build(context);
                await api.CreateAsync(what, (c, ct) => row.Kind.Create(c, body, Namespace, ct), cancellationToken).ConfigureAwait(false);
            }

            created.Add((what, (c, ct) => row.Kind.Delete(c, objectName, Namespace, null, ct)));
        }
    }

    /// <summary>Re-creates each repairable object that is missing, from <paramref name="context"/> (the stored record).</summary>
    public async Task RepairAsync(SessionObjectContext context, CancellationToken cancellationToken)
    {
        var session = context.Input.Name;
        foreach (var row in SessionObjects.All.Where(r => r.Repaired))
        {
            var objectName = row.Name!(session);
            var what = row.Describe(session);
            var existing = await api.GetOrNullAsync($"read {what}", (c, ct) => row.Kind.Read(c, objectName, Namespace, ct), cancellationToken).ConfigureAwait(false);
            if (existing is V1ConfigMap { Data: { } data })
            {
                // The proxy Deployment carries the hash of the live config (which SetEgressPolicy may have changed).
                context = context with { ProxyConfig = data };
            }

            if (existing is not null)
            {
                continue;
            }

            var body = row.Build!(context);
            try
            {
                await api.CreateAsync(what, (c, ct) => row.Kind.Create(c, body, Namespace, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectExistsException)
            {
                // Another process repaired it first.
            }
        }
    }

    /// <summary>
    /// Deletes every object of the session and waits until none is left; <c>true</c> when there was any. Throws
    /// <see cref="BackendOperationException"/> naming what is left when that takes longer than the delete timeout.
    /// </summary>
    public async Task<bool> DeleteAsync(SessionName name, CancellationToken cancellationToken)
    {
        // Read up front: under retries a delete's own 404 is ambiguous (did our attempt whose answer was lost delete it?).
        var existed = (await RemainingAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0;
        var selector = SessionLabels.SessionSelector(name);
        foreach (var kind in SessionObjects.Deleted)
        {
            var objects = await api.CallAsync($"list {Plural(kind)}", (c, ct) => kind.List(c, Namespace, selector, ct), cancellationToken).ConfigureAwait(false);
            foreach (var meta in objects.ToList())
            {
                var options = new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = meta.Uid } };
                var objectName = meta.Name;
                await api.DeleteAsync($"{kind.Name.ToLowerInvariant()} {objectName}", (c, ct) => kind.Delete(c, objectName, Namespace, options, ct), cancellationToken).ConfigureAwait(false);
            }
        }

        using var timeout = new CancellationTokenSource(deleteTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await WaitAllGoneAsync(name, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var left = await RemainingAsync(name, cancellationToken).ConfigureAwait(false);
            throw new BackendOperationException($"Session {name} was deleted but these objects were still there after {deleteTimeout}: {string.Join(", ", left)}");
        }

        return existed;
    }

    /// <summary>Waits until no object of any kind in the table carries the session's labels.</summary>
    public async Task WaitAllGoneAsync(SessionName name, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while ((await RemainingAsync(name, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            await Task.Delay(delay, timeProvider, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>Every object of a kind in the table (pods included) still carrying the session's labels, as kind/name.</summary>
    public async Task<List<string>> RemainingAsync(SessionName name, CancellationToken cancellationToken)
    {
        var selector = SessionLabels.SessionSelector(name);
        var left = new List<string>();
        foreach (var kind in SessionObjects.Kinds)
        {
            var objects = await api.CallAsync($"list {Plural(kind)}", (c, ct) => kind.List(c, Namespace, selector, ct), cancellationToken).ConfigureAwait(false);
            left.AddRange(objects.Select(m => $"{kind.Name.ToLowerInvariant()}/{m.Name}"));
        }

        return left;
    }

    private static string Plural(ObjectKind kind) => kind.Name.ToLowerInvariant() + "s";
}
