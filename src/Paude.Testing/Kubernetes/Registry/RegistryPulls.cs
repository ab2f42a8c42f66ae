using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Runtime;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Registry;

/// <summary>
/// The kubelet's image pulls from the served registry (<see cref="OciRegistry"/>): a real <c>podman pull</c> over
/// loopback HTTP with only the pod's own pull secrets as its login (a temporary auth file holding the <c>auths</c> of
/// the pod's <c>kubernetes.io/dockerconfigjson</c> Secrets; never the host user's logins), so the registry itself
/// decides. Every container start pulls again (as <c>imagePullPolicy: Always</c>, and as the kubelet's
/// "ensure secret pulled images" check): an image another pod pulled before is no way around a missing secret. A pull
/// runs in the background; the runtime is woken when it ends. Pulled images are removed with the server.
/// </summary>
internal sealed class RegistryPulls(string address, ObjectStore store, PodmanCli podman, string root)
{
    private readonly ConcurrentDictionary<string, Task<string?>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _pulled = new(StringComparer.Ordinal);

    public string Address { get; } = address;

    public bool Serves(string image) => image.StartsWith(Address + "/", StringComparison.Ordinal);

    /// <summary>
    /// The pull of <paramref name="image"/> for this pod: null while it runs (<paramref name="done"/> is called when it
    /// ends), then once its outcome — "" for pulled, else the registry's refusal as podman reports it.
    /// </summary>
    public string? Pull(JsonObject pod, string image, Action done, CancellationToken stopping)
    {
        var key = pod.Uid() + "\n" + image;
        var pull = _inFlight.GetOrAdd(key, k =>
        {
            var task = Task.Run(() => PullAsync(pod, image, stopping), CancellationToken.None);
            task.ContinueWith(t => done(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            return task;
        });
        if (!pull.IsCompleted)
        {
            return null;
        }

        _inFlight.TryRemove(key, out _);
        return pull.IsCompletedSuccessfully ? pull.Result ?? "" : "pull interrupted";
    }

    /// <summary>Removes every image a pod pulled (the containers using them are gone by then).</summary>
    public async Task RemoveImagesAsync(CancellationToken ct)
    {
        if (!_pulled.IsEmpty)
        {
            await podman.RunAsync(["rmi", "--ignore", .. _pulled.Keys], ct).ConfigureAwait(false);
        }
    }

    private async Task<string?> PullAsync(JsonObject pod, string image, CancellationToken ct)
    {
        var authFile = Path.Combine(root, $"pull-auth-{Guid.NewGuid():N}.json");
        try
        {
            // Only the owner may read the login (the server's folder is private too).
            var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(authFile, create))
            {
                await file.WriteAsync(Encoding.UTF8.GetBytes(AuthFile(pod)), ct).ConfigureAwait(false);
            }

            _pulled[image] = 0;
            var (code, _, stderr) = await podman.RunAsync(["pull", "--quiet", "--tls-verify=false", "--authfile", authFile, image], ct).ConfigureAwait(false);
            return code == 0 ? null : stderr.Trim().Replace("Error: ", "", StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(authFile);
        }
    }

    /// <summary>The <c>auths</c> of every dockerconfigjson Secret the pod names (later ones win per registry).</summary>
    private string AuthFile(JsonObject pod)
    {
        var auths = new JsonObject();
        foreach (var reference in pod["spec"]?["imagePullSecrets"].Objects() ?? [])
        {
            if (reference.Str("name") is not { } name || store.TryGet(ResourceTypes.Secrets, pod.Namespace(), name) is not { } secret
                || secret.Str("type") != "kubernetes.io/dockerconfigjson" || secret["data"]?.Str(".dockerconfigjson") is not { } encoded)
            {
                continue;
            }

            try
            {
                if (JsonNode.Parse(Convert.FromBase64String(encoded))?["auths"] is JsonObject entries)
                {
                    foreach (var (registry, auth) in entries)
                    {
                        auths[registry] = auth?.DeepClone();
                    }
                }
            }
            catch (Exception e) when (e is FormatException or JsonException)
            {
                // Not a usable pull secret: the kubelet ignores it too.
            }
        }

        return new JsonObject { ["auths"] = auths }.ToJsonString();
    }
}
