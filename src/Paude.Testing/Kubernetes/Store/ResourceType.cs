namespace Paude.Testing.Kubernetes.Store;

/// <summary>One served resource: where it lives in the URL space and how it is named in bodies.</summary>
internal sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Kind,
    bool Namespaced,
    string[] ShortNames,
    bool HasStatus,
    string[] Subresources)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    /// <summary>The "qualified resource" real error messages use: <c>pods</c>, <c>statefulsets.apps</c>.</summary>
    public string Qualified => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public string Singular => Kind.ToLowerInvariant();
}

/// <summary>The fixed set of resources this server serves.</summary>
internal static class ResourceTypes
{
    public static readonly ResourceType Namespaces = new("", "v1", "namespaces", "Namespace", false, ["ns"], true, ["status"]);
    public static readonly ResourceType Pods = new("", "v1", "pods", "Pod", true, ["po"], true, ["status", "exec", "attach", "log", "portforward"]);
    public static readonly ResourceType PersistentVolumeClaims = new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"], true, ["status"]);
    public static readonly ResourceType Secrets = new("", "v1", "secrets", "Secret", true, [], false, []);
    public static readonly ResourceType ConfigMaps = new("", "v1", "configmaps", "ConfigMap", true, ["cm"], false, []);
    public static readonly ResourceType Services = new("", "v1", "services", "Service", true, ["svc"], true, ["status"]);
    public static readonly ResourceType Events = new("", "v1", "events", "Event", true, ["ev"], false, []);
    public static readonly ResourceType ServiceAccounts = new("", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"], false, []);
    public static readonly ResourceType StatefulSets = new("apps", "v1", "statefulsets", "StatefulSet", true, ["sts"], true, ["status", "scale"]);
    public static readonly ResourceType Deployments = new("apps", "v1", "deployments", "Deployment", true, ["deploy"], true, ["status", "scale"]);
    public static readonly ResourceType ReplicaSets = new("apps", "v1", "replicasets", "ReplicaSet", true, ["rs"], true, ["status", "scale"]);
    public static readonly ResourceType NetworkPolicies = new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ["netpol"], false, []);

    // Stored only (no provisioner): what a backend reads to decide whether a claim may grow (allowVolumeExpansion).
    public static readonly ResourceType StorageClasses = new("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, ["sc"], false, []);

    // OpenShift's build and image APIs, minimal: enough for a binary Docker build into an ImageStream tag.
    public static readonly ResourceType BuildConfigs = new("build.openshift.io", "v1", "buildconfigs", "BuildConfig", true, ["bc"], true, ["status", "instantiatebinary"]);
    public static readonly ResourceType Builds = new("build.openshift.io", "v1", "builds", "Build", true, [], true, ["status", "log"]);
    public static readonly ResourceType ImageStreams = new("image.openshift.io", "v1", "imagestreams", "ImageStream", true, ["is"], true, ["status"]);

    // Stored only, like the apiserver (no controller reads them): what clients hold as locks.
    public static readonly ResourceType Leases = new("coordination.k8s.io", "v1", "leases", "Lease", true, [], false, []);

    public static readonly IReadOnlyList<ResourceType> All =
    [
        Namespaces, Pods, PersistentVolumeClaims, Secrets, ConfigMaps, Services, Events, ServiceAccounts,
        StatefulSets, Deployments, ReplicaSets, NetworkPolicies, StorageClasses, BuildConfigs, Builds, ImageStreams, Leases,
    ];

    public static IEnumerable<string> Groups => All.Where(r => r.Group.Length > 0).Select(r => r.Group).Distinct();

    public static ResourceType? Find(string group, string version, string plural) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Plural == plural);
}
