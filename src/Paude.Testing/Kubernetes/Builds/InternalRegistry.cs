using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Builds;

/// <summary>
/// OpenShift's internal registry as the test server plays it: an ImageStream tag <c>ns/name:tag</c> is served at
/// <see cref="Host"/><c>/ns/name:tag</c> (and by digest, <c>@sha256:…</c>); here that is the local Podman image a
/// binary build tagged <c>localhost/kt-&lt;server&gt;/ns/name:tag</c>. Pods that name the registry reference run that
/// image; nothing is pulled, and an image no build produced is "not found" like a missing manifest.
/// </summary>
internal static class InternalRegistry
{
    /// <summary>The registry service of a real OpenShift cluster (what <c>status.dockerImageRepository</c> says).</summary>
    public const string Host = "image-registry.openshift-image-registry.svc:5000";

    /// <summary><c>image-registry…:5000/ns/name</c>.</summary>
    public static string Repository(string ns, string stream) => $"{Host}/{ns}/{stream}";

    /// <summary>The local Podman tag a build of <c>ns/stream:tag</c> writes.</summary>
    public static string LocalTag(string serverId, string ns, string stream, string tag) => $"localhost/kt-{serverId}/{ns}/{stream}:{tag}";

    /// <summary>
    /// The image Podman runs for a pod's <paramref name="image"/>: registry tags map to the local tag, registry digests
    /// to the local image id recorded in the ImageStream, <paramref name="privateRegistry"/>'s images to their local
    /// names; any other reference is returned unchanged.
    /// </summary>
    public static string Resolve(ObjectStore store, string serverId, string image, TestRegistry? privateRegistry)
    {
        if (PrivateRegistryAccess.Serves(privateRegistry, image))
        {
            return PrivateRegistryAccess.Local(privateRegistry!, image);
        }

        if (!image.StartsWith(Host + "/", StringComparison.Ordinal))
        {
            return image;
        }

        var rest = image[(Host.Length + 1)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return image;
        }

        var ns = rest[..slash];
        var nameAndRef = rest[(slash + 1)..];
        var at = nameAndRef.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            // By digest: only an image this namespace's stream really holds (a digest from elsewhere is unknown here).
            var stream = store.TryGet(ResourceTypes.ImageStreams, ns, nameAndRef[..at]);
            var digest = nameAndRef[(at + 1)..];
            var held = stream?["status"]?["tags"].Objects().SelectMany(t => t["items"].Objects()).Any(i => i.Str("image") == digest) == true;
            return held && digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest["sha256:".Length..] : image;
        }

        var colon = nameAndRef.LastIndexOf(':');
        var (name, tag) = colon > 0 ? (nameAndRef[..colon], nameAndRef[(colon + 1)..]) : (nameAndRef, "latest");
        return LocalTag(serverId, ns, name, tag);
    }
}
