using System.Globalization;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// The whole session lifecycle through the real CLI entry point on <c>--backend openshift</c>, against the in-process
/// Kubernetes test server (restricted-v2), checked from outside with the real kubectl.
/// </summary>
[Collection("openshift")]
public sealed class OpenShiftBackendTests(KubeServerFixture cluster) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("os");
    private readonly string _workspace = TestRun.NewGitWorkspace("os");
    private readonly string _scratch = Directory.CreateTempSubdirectory("paude-cli-os-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        Directory.Delete(_workspace, recursive: true);
        Directory.Delete(_scratch, recursive: true);
    }

    [Fact]
    public async Task Create_status_exec_upload_download_sync_list_stop_start_delete_on_the_openshift_backend()
    {
        var created = await cluster.PaudeAsync("create", _name, "--workspace", _workspace, "--agent-command", SharedSessionFixture.StandInAgent,
            "--allowed-domains", "default", "-o", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal("openshift", created.Json().GetProperty("backend").GetString());
        Assert.Equal("running", created.Json().GetProperty("status").GetString());
        Assert.Equal(_workspace, created.Json().GetProperty("workspace").GetString());
        Assert.Equal($"statefulset.apps/paude-{_name}", (await cluster.KubectlAsync("get", "statefulset", "-l", $"paude.io/session-name={_name}", "-o", "name")).Trim());

        var status = await cluster.PaudeAsync("status", _name, "-o", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Equal("running", status.Json().GetProperty("status").GetString());

        // restricted-v2: an arbitrary UID from the namespace range; streams and the exit code pass through.
        var id = await cluster.PaudeAsync("exec", _name, "--", "id", "-u");
        Assert.True(id.ExitCode == 0, id.ToString());
        Assert.True(long.Parse(id.Stdout.Trim(), CultureInfo.InvariantCulture) >= 1000680000, id.Stdout);
        var failing = await cluster.PaudeAsync("exec", _name, "--", "bash", "-c", "echo out; echo err >&2; exit 3");
        Assert.Equal((3, "out\n"), (failing.ExitCode, failing.Stdout));
        Assert.Contains("err\n", failing.Stderr, StringComparison.Ordinal);

        var up = await cluster.PaudeAsync("upload", _name, _workspace, "-o", "json");
        Assert.True(up.ExitCode == 0, up.ToString());
        Assert.Equal("/pvc/workspace", up.Json().GetProperty("containerPath").GetString());
        var commit = await cluster.PaudeAsync("exec", _name, "-w", "/pvc/workspace", "--", "bash", "-c",
            "printf 'by the agent\\n' > AGENT.md && git add AGENT.md && git -c user.name=Agent -c user.email=agent@paude.invalid commit -q -m 'Agent: add AGENT.md' && git rev-parse HEAD");
        Assert.True(commit.ExitCode == 0, commit.ToString());
        var agentCommit = commit.Stdout.Trim();

        var copy = Path.Combine(_scratch, "copy");
        var down = await cluster.PaudeAsync("download", _name, copy);
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Equal("by the agent\n", await File.ReadAllTextAsync(Path.Combine(copy, "AGENT.md")));
        // The copy leaves the session's .git behind (its config is the agent's); the commit comes back by sync below.
        Assert.False(Path.Exists(Path.Combine(copy, ".git")));
        Assert.Contains("bring commits back with `paude sync`", down.Stderr, StringComparison.Ordinal);

        var head = TestRun.Git(_workspace, "rev-parse", "HEAD").Trim();
        var sync = await cluster.PaudeAsync("sync", _name, "--direction", "from", "--strategy", "branch", "-o", "json");
        Assert.True(sync.ExitCode == 0, sync.ToString());
        Assert.Equal("openshift", sync.Json().GetProperty("backend").GetString());
        Assert.Equal(agentCommit, TestRun.Git(_workspace, "rev-parse", $"paude/{_name}").Trim());
        Assert.Equal(head, TestRun.Git(_workspace, "rev-parse", "HEAD").Trim()); // the current branch is untouched

        var list = await cluster.PaudeAsync("list", "-o", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var listed = list.Json().GetProperty("sessions").EnumerateArray().Single(s => s.GetProperty("name").GetString() == _name);
        Assert.Equal(("openshift", "running"), (listed.GetProperty("backend").GetString(), listed.GetProperty("status").GetString()));

        var stopped = await cluster.PaudeAsync("stop", _name, "-o", "json");
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
        Assert.Equal("stopped", stopped.Json().GetProperty("status").GetString());
        Assert.Equal(6, (await cluster.PaudeAsync("exec", _name, "--", "true")).ExitCode);
        Assert.Equal("0", (await cluster.KubectlAsync("get", "statefulset", $"paude-{_name}", "-o", "jsonpath={.spec.replicas}")).Trim());

        var started = await cluster.PaudeAsync("start", _name, "-o", "json");
        Assert.True(started.ExitCode == 0, started.ToString());
        Assert.Equal("running", started.Json().GetProperty("status").GetString());
        var kept = await cluster.PaudeAsync("exec", _name, "--", "cat", "/pvc/workspace/AGENT.md");
        Assert.Equal((0, "by the agent\n"), (kept.ExitCode, kept.Stdout)); // the workspace PVC survived stop/start

        var deleted = await cluster.PaudeAsync("delete", _name, "-o", "json");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.True(deleted.Json().GetProperty("deleted").GetBoolean());
        Assert.Equal(string.Empty, (await cluster.KubectlAsync(
            "get", "statefulset,pod,pvc,svc,networkpolicy,secret,deployment,configmap", "-l", $"paude.io/session-name={_name}", "-o", "name")).Trim());
        Assert.Equal(3, (await cluster.PaudeAsync("status", _name)).ExitCode);
    }

    [Fact]
    public async Task PAUDE_BACKEND_selects_openshift_for_a_real_process_and_missing_sessions_exit_3()
    {
        var environment = new Dictionary<string, string> { ["PAUDE_BACKEND"] = "openshift" };
        var list = await PaudeCli.RunProcessAsync(null, environment, "list", "-o", "json", "--kubeconfig", cluster.Server.KubeconfigPath, "-n", KubeServerFixture.Namespace);
        var status = await PaudeCli.RunProcessAsync(null, environment, "status", _name, "--kubeconfig", cluster.Server.KubeconfigPath, "-n", KubeServerFixture.Namespace);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.DoesNotContain(list.Json().GetProperty("sessions").EnumerateArray(), s => s.GetProperty("name").GetString() == _name);
        Assert.Equal(3, status.ExitCode);
        Assert.Contains("'openshift'", status.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_namespace_or_an_unreadable_kubeconfig_is_a_clear_error_and_creates_nothing()
    {
        var garbage = Path.Combine(_scratch, "kubeconfig");
        await File.WriteAllTextAsync(garbage, "this: [is not a kubeconfig");
        var serverless = Path.Combine(_scratch, "serverless");
        await File.WriteAllTextAsync(serverless, "apiVersion: v1\nkind: Config\n");

        var badConfig = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--backend", "openshift", "--kubeconfig", garbage, "-o", "json");
        var noServer = await PaudeCli.RunAsync("status", _name, "--backend", "openshift", "--kubeconfig", serverless);
        var noNamespace = await PaudeCli.RunAsync("create", _name, "--workspace", _workspace, "--agent-command", "true",
            "--backend", "openshift", "--kubeconfig", cluster.Server.KubeconfigPath, "--namespace", "no-such-namespace");

        Assert.Equal(5, badConfig.ExitCode);
        Assert.Equal("backend-unavailable", badConfig.ErrorJson().GetProperty("error").GetProperty("kind").GetString());
        Assert.Equal(5, noServer.ExitCode);
        Assert.StartsWith("paude: error: Backend 'openshift' is unavailable: kubeconfig", noServer.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, noNamespace.ExitCode);
        Assert.Contains("no-such-namespace", noNamespace.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, (await cluster.KubectlAsync("get", "statefulset,deployment,svc", "-A", "-l", $"paude.io/session-name={_name}", "-o", "name")).Trim());
    }
}
