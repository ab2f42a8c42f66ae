using k8s.Models;
using Paude.Backends.OpenShift.Credentials;
using Paude.Backends.OpenShift.Manifests;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Objects;

/// <summary>What the manifests of a session's objects are built from.</summary>
/// <param name="Input">The session's manifest input (from the spec on create, from the stored record on repair).</param>
/// <param name="Options">The backend's options.</param>
/// <param name="CredentialParts">How many credential part Secrets the agent mounts.</param>
/// <param name="ProxyConfig">The proxy ConfigMap's data (the proxy Deployment carries its hash, so a change rolls it).</param>
internal sealed record SessionObjectContext(SessionManifestInput Input, OpenShiftBackendOptions Options, int CredentialParts, IDictionary<string, string> ProxyConfig)
{
    /// <summary>The context a create of <paramref name="input"/> builds from (the proxy config of its allow-list).</summary>
    public static SessionObjectContext ForCreate(SessionManifestInput input, OpenShiftBackendOptions options, int credentialParts) =>
        new(input, options, credentialParts, ProxyManifests.ConfigData(input.Egress));

    /// <summary>The context a repair builds from: the session's stored record on its StatefulSet.</summary>
    public static SessionObjectContext FromRecord(SessionName name, string ns, V1StatefulSet statefulSet, OpenShiftBackendOptions options) =>
        ForCreate(SessionConfig.ToInput(name, ns, statefulSet), options, 0);
}

/// <summary>
/// One object (or one set of objects) a session has.
/// </summary>
/// <param name="Kind">Its kind.</param>
/// <param name="Name">Its name; <c>null</c> for a set whose names only its writer knows (credential parts, proxy pods).</param>
/// <param name="Build">Its manifest; <c>null</c> when a controller or a writer of its own makes it (create skips it).</param>
/// <param name="Repaired">Whether start re-creates it when it is missing (from the stored session record).</param>
internal sealed record SessionObject(ObjectKind Kind, Func<SessionName, string>? Name, Func<SessionObjectContext, object>? Build, bool Repaired)
{
    /// <summary>The object as messages name it (<c>ConfigMap proxy-paude-x</c>).</summary>
    public string Describe(SessionName session) => Name is null ? $"{Kind.Name}s of {session}" : $"{Kind.Name} {Name(session)}";
}

/// <summary>
/// Every object a session has on the cluster, in creation order: create builds the rows with a manifest, start repairs
/// the rows marked so, delete removes every kind that occurs here (by label, in <see cref="ObjectKind.DeleteOrder"/>)
/// and waits until no object of any of these kinds carries the session's labels. Adding an object is adding a row.
/// </summary>
internal static class SessionObjects
{
    public static readonly IReadOnlyList<SessionObject> All =
    [
        // Credentials first: a packaging refusal (e.g. an outside link) then has only these Secrets to undo.
        new(ObjectKind.Secret, null, null, Repaired: false),
        new(ObjectKind.ConfigMap, SessionLabels.Proxy, c => ProxyManifests.ConfigMap(c.Input, c.Input.Egress), Repaired: true),
        new(ObjectKind.Service, SessionLabels.Proxy, c => ProxyManifests.Service(c.Input), Repaired: true),
        new(ObjectKind.NetworkPolicy, SessionLabels.ProxyPolicy, c => NetworkPolicyManifests.Proxy(c.Input), Repaired: true),
        new(ObjectKind.Deployment, SessionLabels.Proxy, c => ProxyManifests.Deployment(c.Input, c.Options, ProxyManifests.ConfigHash(c.ProxyConfig)), Repaired: true),
        new(ObjectKind.ReplicaSet, null, null, Repaired: false),
        new(ObjectKind.NetworkPolicy, SessionLabels.AgentPolicy, c => NetworkPolicyManifests.Agent(c.Input), Repaired: true),
        new(ObjectKind.Service, SessionLabels.Agent, c => AgentManifests.HeadlessService(c.Input), Repaired: false),

        // Made by the StatefulSet controller (volumeClaimTemplate); named here so a failed create removes it too.
        new(ObjectKind.PersistentVolumeClaim, SessionLabels.Pvc, null, Repaired: false),
        new(ObjectKind.StatefulSet, SessionLabels.Agent, AgentStatefulSet, Repaired: false),
        new(ObjectKind.Pod, null, null, Repaired: false),

        // Written by syncs and upgrades while they run (Leases/SessionSyncLeases), never by create; a killed sync's
        // stays until it expires, and goes with the session.
        new(ObjectKind.Lease, null, null, Repaired: false),
    ];

    /// <summary>Every kind that occurs in <see cref="All"/>, once.</summary>
    public static IReadOnlyList<ObjectKind> Kinds { get; } = [.. All.Select(o => o.Kind).Distinct()];

    /// <summary>The kinds delete removes, in order (the others go with their owners).</summary>
    public static IReadOnlyList<ObjectKind> Deleted { get; } = [.. Kinds.Where(k => k.DeleteOrder is not null).OrderBy(k => k.DeleteOrder)];

    private static V1StatefulSet AgentStatefulSet(SessionObjectContext context)
    {
        var statefulSet = AgentManifests.StatefulSet(context.Input, context.Options);
        CredentialPodSpec.Apply(statefulSet.Spec.Template.Spec, context.Input.Name, context.CredentialParts);
        return statefulSet;
    }
}
