using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude upgrade --node-selector … --toleration …</c> (create's syntax) and <c>--clear-node-selector</c> /
/// <c>--clear-tolerations</c> on the openshift backend, cross-checked with kubectl on the agent pod and the proxy
/// Deployment; malformed and invalid values exit 2 listing every problem with nothing changed; the Podman backend refuses
/// a placement before it looks for the session.
/// </summary>
[Collection("openshift")]
public sealed class UpgradePlacementCliTests(KubeServerFixture cluster) : IAsyncLifetime
{
    private const string Placement = "{.spec.nodeSelector}|{range .spec.tolerations[*]}{.key}:{.operator}:{.value}:{.effect};{end}";

    private readonly string _name = TestRun.NewSessionName("upplace");
    private readonly string _workspace = TestRun.NewGitWorkspace("upplace");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Upgrade_sets_and_clears_the_placement_of_both_pods_and_refuses_bad_values_together()
    {
        var created = await cluster.PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--node-selector", "paude.io/pool=agents", "--toleration", "dedicated=paude:NoSchedule");
        Assert.True(created.ExitCode == 0, created.ToString());
        var pod = $"paude-{_name}-0";
        const string Created = """{"paude.io/pool":"agents"}|dedicated:Equal:paude:NoSchedule;""";
        Assert.Equal(Created, await JsonPathAsync("pod", pod, Placement));

        var malformed = await cluster.PaudeAsync("upgrade", _name, "--node-selector", "novalue", "--toleration", "=x", "--toleration", "ok", "--clear-tolerations");
        Assert.Equal(2, malformed.ExitCode);
        foreach (var problem in new[] { "--node-selector: 'novalue'", "--toleration and --clear-tolerations cannot be combined" })
        {
            Assert.Contains(problem, malformed.Stderr, StringComparison.Ordinal);
        }

        var invalid = await cluster.PaudeAsync("upgrade", _name, "--node-selector", "bad key!=v", "--toleration", "k=v:Sometimes", "--output", "json");
        Assert.Equal(2, invalid.ExitCode);
        var problems = invalid.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(2, problems.Count);
        Assert.StartsWith("NodeSelector: key 'bad key!'", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Tolerations[0]: effect 'Sometimes'", problems[1], StringComparison.Ordinal);
        Assert.Equal(string.Empty, await JsonPathAsync("statefulset", $"paude-{_name}", "{.metadata.annotations.paude\\.io/generation}"));
        Assert.Equal(Created, await JsonPathAsync("pod", pod, Placement));

        var moved = await cluster.PaudeAsync("upgrade", _name, "--node-selector", "paude.io/pool=gpu", "--node-selector", "paude.io/zone=b", "--toleration", "nvidia.com/gpu:NoSchedule");
        Assert.True(moved.ExitCode == 0, moved.ToString());
        const string Moved = """{"paude.io/pool":"gpu","paude.io/zone":"b"}|nvidia.com/gpu:Exists::NoSchedule;""";
        Assert.Equal(Moved, await JsonPathAsync("pod", pod, Placement));
        Assert.Equal(Moved, await JsonPathAsync("deployment", $"proxy-paude-{_name}", Placement.Replace("{.spec.", "{.spec.template.spec.", StringComparison.Ordinal).Replace(" .spec.", " .spec.template.spec.", StringComparison.Ordinal)));

        // Only the tolerations cleared: the selector stays.
        var cleared = await cluster.PaudeAsync("upgrade", _name, "--clear-tolerations");
        Assert.True(cleared.ExitCode == 0, cleared.ToString());
        Assert.Equal("""{"paude.io/pool":"gpu","paude.io/zone":"b"}|""", await JsonPathAsync("pod", pod, Placement));

        var podman = await PaudeCli.RunAsync("upgrade", _name, "--node-selector", "pool=gpu", "--toleration", "gpu:NoSchedule");
        Assert.Equal(2, podman.ExitCode);
        foreach (var field in new[] { "NodeSelector: node placement is Kubernetes only", "Tolerations: taints and tolerations are Kubernetes only" })
        {
            Assert.Contains(field, podman.Stderr, StringComparison.Ordinal);
        }
    }

    private async Task<string> JsonPathAsync(string kind, string name, string path) =>
        (await cluster.KubectlAsync("get", kind, name, "-o", $"jsonpath={path}")).Trim();
}
