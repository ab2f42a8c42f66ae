using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Builds;

/// <summary>
/// The kubelet's side of a pull from <see cref="TestRegistry"/>: which local image a reference names, and whether the
/// pod's <c>imagePullSecrets</c> carry the registry's credentials (<c>.dockerconfigjson</c> <c>auths[host]</c>, as
/// <c>username</c>/<c>password</c> or <c>auth</c> = base64 of <c>user:password</c>).
/// </summary>
internal static class PrivateRegistryAccess
{
    public static bool Serves(TestRegistry? registry, string image) =>
        registry is not null && image.StartsWith(registry.Host + "/", StringComparison.Ordinal);

    /// <summary>The local image behind <paramref name="image"/> (which <see cref="Serves"/>).</summary>
    public static string Local(TestRegistry registry, string image) => "localhost/" + image[(registry.Host.Length + 1)..];

    /// <summary>Null when the pod may pull from <paramref name="registry"/>; else the registry's refusal.</summary>
    public static string? Denied(ObjectStore store, TestRegistry registry, JsonObject pod)
    {
        var ns = pod.Namespace();
        foreach (var reference in pod["spec"]?["imagePullSecrets"].Objects() ?? [])
        {
            if (reference.Str("name") is not { } name || store.TryGet(ResourceTypes.Secrets, ns, name) is not { } secret
                || secret.Str("type") != "kubernetes.io/dockerconfigjson" || secret["data"]?.Str(".dockerconfigjson") is not { } encoded)
            {
                continue;
            }

            if (Holds(encoded, registry))
            {
                return null;
            }
        }

        return $"unauthorized: authentication required (registry {registry.Host}: no pull secret of the pod holds valid credentials)";
    }

    private static bool Holds(string encoded, TestRegistry registry)
    {
        try
        {
            var config = JsonNode.Parse(Convert.FromBase64String(encoded));
            if (config?["auths"]?[registry.Host] is not JsonObject auth)
            {
                return false;
            }

            var (user, password) = auth.Str("auth") is { } basic && Encoding.UTF8.GetString(Convert.FromBase64String(basic)).Split(':', 2) is [var u, var p]
                ? (u, p)
                : (auth.Str("username"), auth.Str("password"));
            return user == registry.Username && password == registry.Password;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }
}
