using System.Text;
using System.Text.Json;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// <c>paude create</c>'s resource, storage, placement and pull secret options on the openshift backend (kubectl
/// cross-checks of the pod and PVC), <c>paude image pull-secret create</c> (password from stdin only, never printed),
/// and the Podman backend refusing what only a cluster can do.
/// </summary>
[Collection("openshift")]
public sealed class ClusterSpecCliTests(KubeServerFixture cluster) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("spec");
    private readonly string _workspace = TestRun.NewGitWorkspace("spec");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
    }

    [Fact]
    public async Task Pull_secret_create_reads_the_password_from_stdin_and_create_takes_every_cluster_option()
    {
        var password = "tok-" + Guid.NewGuid().ToString("N");
        var secret = $"{_name}-reg";
        var made = await PaudeCli.RunWithInputAsync(Encoding.UTF8.GetBytes(password + "\n"),
            [.. cluster.ClusterArgs, "image", "pull-secret", "create", secret, "--server", "registry.example.test:5000", "-u", "robot", "--password-stdin", "-o", "json"]);
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.True(made.Json().GetProperty("created").GetBoolean());
        Assert.DoesNotContain(password, made.Stdout + made.Stderr, StringComparison.Ordinal);
        var config = JsonDocument.Parse(Convert.FromBase64String((await cluster.KubectlAsync("get", "secret", secret, "-o", "jsonpath={.data.\\.dockerconfigjson}")).Trim())).RootElement;
        var auth = config.GetProperty("auths").GetProperty("registry.example.test:5000");
        Assert.Equal(("robot", password), (auth.GetProperty("username").GetString(), auth.GetProperty("password").GetString()));
        Assert.Equal("kubernetes.io/dockerconfigjson", (await cluster.KubectlAsync("get", "secret", secret, "-o", "jsonpath={.type}")).Trim());

        var noStdin = await cluster.PaudeAsync("image", "pull-secret", "create", secret, "--server", "r.test", "-u", "robot");
        Assert.Equal(2, noStdin.ExitCode);
        Assert.Contains("--password-stdin", noStdin.Stderr, StringComparison.Ordinal);

        var created = await cluster.PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--memory", "1Gi", "--cpus", "1500m", "--cpu-request", "250m", "--memory-request", "256Mi", "--gpus", "1",
            "--workspace-size", "2Gi", "--storage-class", "fast-ssd", "--node-selector", "paude.io/pool=agents",
            "--toleration", "nvidia.com/gpu:NoSchedule", "--toleration", "dedicated=paude:NoExecute", "--pull-secret", secret, "-o", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var pod = $"paude-{_name}-0";
        Assert.Equal("250m|256Mi|1|1500m", await JsonPathAsync("pod", pod,
            "{.spec.containers[0].resources.requests.cpu}|{.spec.containers[0].resources.requests.memory}|{.spec.containers[0].resources.limits['nvidia\\.com/gpu']}|{.spec.containers[0].resources.limits.cpu}"));
        Assert.Equal("agents", await JsonPathAsync("pod", pod, "{.spec.nodeSelector['paude\\.io/pool']}"));
        Assert.Equal("nvidia.com/gpu|Exists||NoSchedule;dedicated|Equal|paude|NoExecute;", await JsonPathAsync("pod", pod,
            "{range .spec.tolerations[*]}{.key}|{.operator}|{.value}|{.effect};{end}"));
        Assert.Equal(secret, await JsonPathAsync("pod", pod, "{.spec.imagePullSecrets[*].name}"));
        Assert.Equal("2Gi|fast-ssd", await JsonPathAsync("pvc", $"workspace-{pod}", "{.spec.resources.requests.storage}|{.spec.storageClassName}"));
        await cluster.KubectlAsync("delete", "secret", secret);
    }

    [Fact]
    public async Task Malformed_values_are_listed_together_and_podman_refuses_cluster_only_options()
    {
        var malformed = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--memory", "lots", "--gpus", "some", "--toleration", "=x", "--node-selector", "novalue");
        Assert.Equal(2, malformed.ExitCode);
        foreach (var option in new[] { "--memory: 'lots'", "--gpus: 'some'", "--toleration: '=x'", "--node-selector: 'novalue'" })
        {
            Assert.Contains(option, malformed.Stderr, StringComparison.Ordinal);
        }

        var podman = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--workspace-size", "2Gi", "--node-selector", "pool=gpu", "--pull-secret", "regcred", "--cpu-request", "8");
        Assert.Equal(2, podman.ExitCode);
        foreach (var field in new[] { "WorkspaceSizeBytes:", "NodeSelector:", "ImagePullSecrets:", "Limits.CpuRequest:" })
        {
            Assert.Contains(field, podman.Stderr, StringComparison.Ordinal);
        }

        Assert.Equal(3, (await PaudeCli.RunAsync("status", _name)).ExitCode); // nothing was created
    }

    [Fact]
    public async Task Upgrade_with_one_limit_option_keeps_the_others_in_the_statefulset_and_status_reports_them()
    {
        var created = await cluster.PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--cpus", "1", "--memory", "512Mi", "--cpu-request", "250m", "--gpus", "1");
        Assert.True(created.ExitCode == 0, created.ToString());

        var upgraded = await cluster.PaudeAsync("upgrade", _name, "--memory", "768Mi");
        Assert.True(upgraded.ExitCode == 0, upgraded.ToString());

        // kubectl reads the agent's template back: the old CPUs, CPU request and GPU, the new memory (its request is
        // the backend's default, capped at the new limit).
        var resources = await JsonPathAsync("statefulset", $"paude-{_name}",
            "{.spec.template.spec.containers[0].resources.limits.cpu}|{.spec.template.spec.containers[0].resources.limits.memory}|" +
            "{.spec.template.spec.containers[0].resources.limits['nvidia\\.com/gpu']}|{.spec.template.spec.containers[0].resources.requests.cpu}|" +
            "{.spec.template.spec.containers[0].resources.requests.memory}");
        Assert.Equal("1|805306368|1|250m|805306368", resources);
        var status = await cluster.PaudeAsync("status", _name, "--output", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var limits = status.Json().GetProperty("limits");
        Assert.Equal((1.0, 768L * 1024 * 1024, 0.25, 1), (limits.GetProperty("cpus").GetDouble(), limits.GetProperty("memoryBytes").GetInt64(),
            limits.GetProperty("cpuRequest").GetDouble(), limits.GetProperty("gpus").GetInt32()));
        Assert.Equal(JsonValueKind.Null, limits.GetProperty("memoryRequestBytes").ValueKind);
    }

    private async Task<string> JsonPathAsync(string kind, string name, string path) =>
        (await cluster.KubectlAsync("get", kind, name, "-o", $"jsonpath={path}")).Trim();
}
