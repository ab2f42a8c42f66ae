using System.Text.Json.Nodes;
using Paude.Testing.Kubernetes.Api;
using Paude.Testing.Kubernetes.Builds;
using Paude.Testing.Kubernetes.Store;

namespace Paude.Testing.Kubernetes.Runtime;

/// <summary>
/// Turns one container of a pod into a <c>podman run</c> argument vector: env (incl. Secret/ConfigMap refs and
/// $(VAR) expansion), volumes (PVC → named volume, Secret/ConfigMap → files with their modes, emptyDir → host dir,
/// emptyDir Memory → tmpfs), securityContext and network aliases for the Services selecting the pod.
/// One part a concept: this file (argument vector, aliases), <c>.Environment</c>, <c>.Security</c>, <c>.Limits</c>, <c>.Volumes</c>.
/// </summary>
internal sealed partial class PodLaunch(ObjectStore store, ServerResources names, PodmanCli podman, TimeProvider time, int podPidsLimit, TestRegistry? privateRegistry)
{
    public async Task<List<string>> BuildAsync(JsonObject pod, int index, CancellationToken cancellationToken)
    {
        var ns = pod.Namespace()!;
        var spec = pod.Obj("spec");
        var container = spec["containers"].Objects().ElementAt(index);
        var containerName = container.Str("name") ?? $"c{index}";
        var args = new List<string> { "create", "--init", "--name", names.Container(ns, pod.Name(), containerName) };
        foreach (var (k, v) in names.Labels)
        {
            args.Add("--label");
            args.Add($"{k}={v}");
        }

        args.AddRange(["--label", $"{ServerResources.PodLabel}={ns}/{pod.Name()}", "--label", $"{ServerResources.PodUidLabel}={pod.Uid()}"]);

        if (index == 0)
        {
            args.AddRange(["--network", names.Network, "--hostname", spec.Str("hostname") ?? pod.Name()]);
            foreach (var alias in Aliases(pod))
            {
                args.AddRange(["--network-alias", alias]);
            }
        }
        else
        {
            args.AddRange(["--network", "container:" + names.Container(ns, pod.Name(), spec["containers"].Objects().First().Str("name") ?? "c0")]);
        }

        foreach (var env in Environment(pod, container))
        {
            args.AddRange(["--env", env]);
        }

        if (container.Str("workingDir") is { Length: > 0 } wd)
        {
            args.AddRange(["--workdir", wd]);
        }

        await SecurityAsync(pod, container, args, cancellationToken).ConfigureAwait(false);
        Limits(container, args);
        await VolumesAsync(pod, container, args, cancellationToken).ConfigureAwait(false);

        var command = Strings(container["command"]);
        var commandArgs = Strings(container["args"]);
        if (command.Count > 0)
        {
            args.AddRange(["--entrypoint", new JsonArray(command.Select(c => (JsonNode?)JsonValue.Create(c)).ToArray()).ToJsonString()]);
        }

        args.Add(InternalRegistry.Resolve(store, names.ServerId, container.Str("image")!, privateRegistry));
        args.AddRange(commandArgs);
        return args;
    }

    /// <summary>
    /// Every Service in the pod's namespace whose selector matches the pod and that routes to it now, by its short and
    /// cluster names: a Service routes only to a pod that is a Service endpoint (<see cref="Serving"/>), except one with
    /// <c>spec.publishNotReadyAddresses</c> (the headless Service of a StatefulSet whose pods must find each other while
    /// they start), which routes to every selected pod from its creation on, as real Kubernetes does.
    /// </summary>
    public IEnumerable<string> Aliases(JsonObject pod) => Aliases(pod, ready: null);

    /// <summary>
    /// The aliases of <see cref="Aliases(JsonObject)"/> when the pod's readiness is <paramref name="ready"/> (as the
    /// runtime reads it this pass) rather than its stored Ready condition; a terminating pod is never ready.
    /// </summary>
    public IEnumerable<string> Aliases(JsonObject pod, bool? ready)
    {
        var ns = pod.Namespace()!;
        var labels = pod.Labels();
        var serving = ready is { } r ? r && pod.Metadata()["deletionTimestamp"] is null : Serving(pod);
        var services = store.List(ResourceTypes.Services, ns).Items;
        foreach (var svc in services)
        {
            var selector = Meta.StringMap(svc["spec"]?["selector"]);
            var routes = serving || Bool(svc["spec"] as JsonObject, "publishNotReadyAddresses") == true;
            if (routes && selector.Count > 0 && selector.All(kv => labels.TryGetValue(kv.Key, out var v) && v == kv.Value))
            {
                var name = svc.Name();
                yield return name;
                yield return $"{name}.{ns}.svc";
                yield return $"{name}.{ns}.svc.cluster.local";
                if (pod["spec"]?.Str("subdomain") == name || (pod["spec"]?.Str("hostname") is not null && pod["spec"]?.Str("subdomain") == name))
                {
                    yield return $"{pod.Name()}.{name}";
                }
            }
        }
    }

    /// <summary>
    /// Whether Services route to the pod, as the endpoints controller decides: not terminating and Ready. A pod whose
    /// status has no Ready condition yet (it is being created) serves only when none of its containers has a readiness
    /// or startup probe (it turns ready the moment it runs), so such pods start with their names and the others gain
    /// them once their probes pass.
    /// </summary>
    internal static bool Serving(JsonObject pod)
    {
        if (pod.Metadata()["deletionTimestamp"] is not null)
        {
            return false;
        }

        var ready = pod["status"]?["conditions"].Objects().FirstOrDefault(c => c.Str("type") == "Ready")?.Str("status");
        return ready is null
            ? !(pod["spec"]?["containers"]).Objects().Any(ReadinessProbes.HasProbe)
            : ready == "True";
    }

    internal static List<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Select(x => x?.GetValue<string>() ?? "").ToList() : [];

    private static long? Long(JsonObject? o, string property) =>
        o?[property] is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    private static bool? Bool(JsonObject? o, string property) =>
        o?[property] is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
}
