using System.Text.Json.Nodes;
using Paude.Benchmarks.Harness;
using Paude.Sessions;


namespace Paude.Benchmarks.OpenShift;

/// <summary>
/// create→running on the Kubernetes test server: <c>CreateAsync</c> (returns when the agent pod is Ready and the
/// proxy Deployment has a ready replica) vs the real kubectl creating the very same objects —
/// <c>kubectl create --validate=false -f manifests.json</c>, then <c>kubectl wait</c> for the agent pod and then the proxy pod to be
/// Ready (retried while they do not exist yet). The manifests are the backend's own, dumped from a
/// session it created (<c>kubectl get -o json</c>, server-set fields stripped, the name swapped). Every session is
/// deleted between iterations, outside the timing.
/// </summary>
public sealed class OpenShiftCreateBenchmark : IBenchmark
{
    private const string Kinds = "configmap,service,networkpolicy,deployment,statefulset";

    /// <inheritdoc />
    public string Id => "openshift-create";

    /// <inheritdoc />
    public string Description => "SDK CreateAsync→running on the test server vs kubectl create -f of the same manifests + kubectl wait";

    /// <inheritdoc />
    public async Task<BenchmarkReport> RunAsync(BenchmarkContext context, CancellationToken cancellationToken)
    {
        await using var cluster = await BenchCluster.StartAsync("oc", cancellationToken);
        var run = cluster.RunId;

        // The template session doubles as the warm-up of the SDK side (JIT, connection, images).
        var template = SessionName.Parse($"{run}-tpl");
        await cluster.Backend.CreateAsync(BenchCluster.Spec(template), cancellationToken);
        var manifests = StripServerFields(await cluster.KubectlAsync(cancellationToken, "get", Kinds, "-l", $"paude.io/session-name={template}", "-o", "json"));
        await DeleteAsync(cluster, template, cancellationToken);
        var objects = JsonNode.Parse(manifests)!["items"]!.AsArray().Count;

        // Warm-up of the kubectl side.
        await KubectlCreateAsync(cluster, manifests, template.Value, $"{run}-warm", context.WorkDirectory, cancellationToken);
        await DeleteAsync(cluster, SessionName.Parse($"{run}-warm"), cancellationToken);

        var (sdk, kubectl) = await Measure.AlternateAsync(
            context.Iterations,
            i => cluster.Backend.CreateAsync(BenchCluster.Spec(SessionName.Parse($"{run}-s{i}")), cancellationToken),
            i => KubectlCreateAsync(cluster, manifests, template.Value, $"{run}-k{i}", context.WorkDirectory, cancellationToken),
            async i =>
            {
                // The backend's delete removes the kubectl-made objects too: same names, same labels. Not timed.
                foreach (var name in new[] { $"{run}-s{i}", $"{run}-k{i}" })
                {
                    await DeleteAsync(cluster, SessionName.Parse(name), cancellationToken);
                }
            });
        var sdkMedian = Measure.Median(sdk);
        var kubectlMedian = Measure.Median(kubectl);
        return new BenchmarkReport(
            Id,
            [
                ("objects per session", objects),
                ("sdk create→running median ms", sdkMedian), ("kubectl create + wait median ms", kubectlMedian),
                ("sdk min ms", sdk.Min()), ("kubectl min ms", kubectl.Min()), ("sdk max ms", sdk.Max()), ("kubectl max ms", kubectl.Max()),
            ],
            sdkMedian / kubectlMedian,
            1.3);
    }

    /// <summary>Deletes a session; on a loaded machine pod removal can outlast the delete timeout, so it is retried.</summary>
    private static async Task DeleteAsync(BenchCluster cluster, SessionName name, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await cluster.Backend.DeleteAsync(name, ct);
                return;
            }
            catch (Paude.Errors.BackendOperationException e) when (attempt < 3)
            {
                await Console.Error.WriteLineAsync($"   (delete of {name} retried: {e.Message})");
            }
        }
    }

    /// <summary>Creates the template's objects under <paramref name="name"/> with kubectl and waits like a script would.</summary>
    private static async Task KubectlCreateAsync(BenchCluster cluster, string manifests, string template, string name, string work, CancellationToken ct)
    {
        var file = Path.Combine(work, $"{name}.json");
        await File.WriteAllTextAsync(file, manifests.Replace(template, name, StringComparison.Ordinal), ct);
        await cluster.KubectlAsync(ct, "create", "--validate=false", "-f", file);

        // Both waits start at once, right after the create: the test server only satisfies kubectl wait through a
        // watch event, so a wait started after its pod was already Ready would hang (see the report).
        await Task.WhenAll(
            WaitReadyAsync(cluster, $"pod/paude-{name}-0", ct),
            WaitReadyAsync(cluster, $"pod -l paude.io/session-name={name},paude.io/role=proxy", ct));
    }

    /// <summary>
    /// <c>kubectl wait --for=condition=Ready</c>, retried (like a script would) while the pods do not exist yet: this
    /// kubectl (1.30) has no <c>--for=create</c>.
    /// </summary>
    private static async Task WaitReadyAsync(BenchCluster cluster, string target, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await cluster.KubectlAsync(ct, ["wait", "--for=condition=Ready", "--timeout=120s", .. target.Split(' ')]);
                return;
            }
            catch (InvalidOperationException e) when (attempt < 100 &&
                (e.Message.Contains("NotFound", StringComparison.Ordinal) || e.Message.Contains("no matching resources", StringComparison.Ordinal)))
            {
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>Removes what the server set (identity, versions, status, owners) so the objects can be created again.</summary>
    private static string StripServerFields(string listJson)
    {
        var list = JsonNode.Parse(listJson)!.AsObject();
        foreach (var item in list["items"]!.AsArray())
        {
            var obj = item!.AsObject();
            obj.Remove("status");
            var metadata = obj["metadata"]!.AsObject();
            foreach (var field in new[] { "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences", "selfLink" })
            {
                metadata.Remove(field);
            }

            if (obj["spec"] is JsonObject spec && spec["clusterIP"]?.GetValue<string>() is { } ip && ip != "None")
            {
                spec.Remove("clusterIP");
                spec.Remove("clusterIPs");
            }
        }

        list.Remove("metadata");
        return list.ToJsonString();
    }
}
