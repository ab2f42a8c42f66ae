using k8s;
using k8s.Models;
using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Api;

/// <summary>
/// The real <c>kubectl wait</c>: it lists the object (fieldSelector metadata.name=x), then watches from that list's
/// resourceVersion. A condition that already holds must be seen from the list; one that comes later from the watch.
/// kubectl's own <c>--timeout</c> is the bound: if the server never lets it see the object, it exits non-zero.
/// </summary>
public sealed class KubectlWaitTests(ServerFixture fx) : IClassFixture<ServerFixture>
{
    private const string Ns = "paude";

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    private Task<(int Code, string Out)> WaitAsync(params string[] args) => WaitWithAsync(null, args);

    private async Task<(int Code, string Out)> WaitWithAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (code, stdout, stderr) = await fx.Kubectl.RunAsync(["-n", Ns, "wait", "--timeout=40s", .. args], timeout: TimeSpan.FromSeconds(90), environment: environment);
        return (code, stdout + stderr);
    }

    /// <summary>Starts kubectl wait, makes the change once kubectl had time to list and watch, and returns its outcome.</summary>
    private async Task<(int Code, string Out)> WaitThroughChangeAsync(Func<Task> change, params string[] args)
    {
        var wait = WaitAsync(args);

        // Time for kubectl to list and start its watch, so the change reaches it as a watch event. Should it be
        // slower, its list sees the change instead: the test still holds, it only covers less.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(wait.IsCompleted, "kubectl wait returned before the change: " + (wait.IsCompleted ? wait.Result.Out : ""));
        await change();
        return await wait;
    }

    private Task<V1ConfigMap> ConfigMapAsync(string name, string value) =>
        fx.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name }, Data = new Dictionary<string, string> { ["k"] = value } }, Ns);

    [Fact]
    public async Task Jsonpath_that_already_holds_is_met_at_once()
    {
        var name = Unique("wj");
        await ConfigMapAsync(name, "v1");

        var (code, output) = await WaitAsync($"configmap/{name}", "--for=jsonpath={.data.k}=v1");

        Assert.True(code == 0, output);
        Assert.Contains($"configmap/{name} condition met", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonpath_that_comes_true_later_is_met_from_the_watch()
    {
        var name = Unique("wl");
        await ConfigMapAsync(name, "before");

        var (code, output) = await WaitThroughChangeAsync(
            () => fx.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"after"}}""", V1Patch.PatchType.MergePatch), name, Ns),
            $"configmap/{name}",
            "--for=jsonpath={.data.k}=after");

        Assert.True(code == 0, output);
        Assert.Contains($"configmap/{name} condition met", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_of_an_object_already_gone_is_met_at_once()
    {
        var name = Unique("wd");
        await ConfigMapAsync(name, "v");
        await fx.Client.CoreV1.DeleteNamespacedConfigMapAsync(name, Ns);

        var (code, output) = await WaitAsync($"configmap/{name}", "--for=delete");

        Assert.True(code == 0, output);
    }

    [Fact]
    public async Task Delete_that_happens_while_waiting_is_met_from_the_watch()
    {
        var name = Unique("wdl");
        await ConfigMapAsync(name, "v");

        var (code, output) = await WaitThroughChangeAsync(() => fx.Client.CoreV1.DeleteNamespacedConfigMapAsync(name, Ns), $"configmap/{name}", "--for=delete");

        Assert.True(code == 0, output);
        Assert.Contains($"configmap/{name} condition met", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Condition_Ready_on_an_already_ready_pod_is_met_at_once()
    {
        var name = Unique("wr");
        await fx.Client.CoreV1.CreateNamespacedPodAsync(Manifests.Pod(name, command: ["sleep", "infinity"]), Ns);
        await Wait.UntilAsync(
            async () => await fx.Client.CoreV1.ReadNamespacedPodAsync(name, Ns),
            p => p.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true,
            "pod ready");

        var (code, output) = await WaitAsync($"pod/{name}", "--for=condition=Ready");

        Assert.True(code == 0, output);
        Assert.Contains($"pod/{name} condition met", output, StringComparison.Ordinal);
        await fx.Client.CoreV1.DeleteNamespacedPodAsync(name, Ns);
    }

    [Fact]
    public async Task Watch_list_clients_get_the_current_state_and_the_initial_events_end_bookmark()
    {
        // client-go's streaming list (ENABLE_CLIENT_GO_WATCH_LIST_ALPHA up to 1.29-1.30 kubectl, the WatchListClient
        // gate after): one watch with sendInitialEvents=true that must end its initial state with a BOOKMARK annotated
        // k8s.io/initial-events-end, or the informer never syncs and kubectl times out.
        var name = Unique("ww");
        await ConfigMapAsync(name, "v1");
        var watchList = new Dictionary<string, string> { ["KUBE_FEATURE_WatchListClient"] = "true", ["ENABLE_CLIENT_GO_WATCH_LIST_ALPHA"] = "true" };

        var (code, output) = await WaitWithAsync(watchList, "-v=6", $"configmap/{name}", "--for=jsonpath={.data.k}=v1");

        Assert.True(code == 0, output);
        Assert.Contains("sendInitialEvents=true", output, StringComparison.Ordinal);
        Assert.Contains($"configmap/{name} condition met", output, StringComparison.Ordinal);
    }
}
