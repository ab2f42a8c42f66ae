using System.Text;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary>
/// The flow the README documents for any Kubernetes: <c>paude image push</c> of the local agent image into the test
/// server's registry (the real <c>podman push</c>), <c>paude image pull-secret create</c>, then
/// <c>paude create --image &lt;digest reference&gt; --pull-secret</c>: the session runs the pushed image; without the
/// pull secret the pull is refused. The login never appears in output or logs.
/// </summary>
[Collection("openshift")]
public sealed class ImagePushTests(KubeServerFixture cluster) : IAsyncLifetime
{
    private readonly string _name = TestRun.NewSessionName("push");
    private readonly string _refused = TestRun.NewSessionName("nopull");

    private static string AgentImage => Environment.GetEnvironmentVariable("PAUDE_TEST_AGENT_IMAGE") is { Length: > 0 } i ? i : "localhost/paude-agent:latest";

    private static byte[] Password => Encoding.UTF8.GetBytes(KubeServerFixture.Registry.Password + "\n");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await cluster.PaudeAsync("delete", _name, "--force");
        await cluster.PaudeAsync("delete", _refused, "--force");
    }

    [Fact]
    public async Task Pushed_image_runs_a_session_with_its_pull_secret_and_is_refused_without()
    {
        var registry = cluster.Server.RegistryAddress!;
        var target = $"{registry}/team/paude-agent-{_name}:v1";

        var pushed = await PaudeCli.RunWithInputAsync(Password, "image", "push", AgentImage, "--to", target, "-u", KubeServerFixture.Registry.Username, "--password-stdin", "--tls-verify=false", "-o", "json");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var json = pushed.Json();
        Assert.Equal(target, json.GetProperty("image").GetString());
        var digest = json.GetProperty("digest").GetString()!;
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        var digestImage = json.GetProperty("digestImage").GetString()!;
        Assert.Equal($"{registry}/team/paude-agent-{_name}@{digest}", digestImage);
        Assert.DoesNotContain(KubeServerFixture.Registry.Password, pushed.Stdout + pushed.Stderr, StringComparison.Ordinal);

        // The registry holds what podman says it pushed (its own digest check passed on the way in).
        var secret = $"reg-{_name}";
        var made = await PaudeCli.RunWithInputAsync(Password, [.. cluster.ClusterArgs, "image", "pull-secret", "create", secret, "--server", registry, "-u", KubeServerFixture.Registry.Username, "--password-stdin"]);
        Assert.True(made.ExitCode == 0, made.ToString());

        var created = await cluster.PaudeAsync("create", _name, "--image", digestImage, "--pull-secret", secret, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.True(created.ExitCode == 0, created.ToString());
        var exec = await cluster.PaudeAsync("exec", _name, "--", "sh", "-c", "test -x /usr/local/lib/paude-helper/paude-session-helper && echo pushed-image-runs");
        Assert.Equal((0, "pushed-image-runs\n"), (exec.ExitCode, exec.Stdout));
        Assert.Equal($"{digestImage} {secret}", (await cluster.KubectlAsync("get", "pod", $"paude-{_name}-0", "-o", "jsonpath={.spec.containers[0].image} {.spec.imagePullSecrets[*].name}")).Trim());
        var events = await cluster.KubectlAsync("get", "events", "--field-selector", $"involvedObject.name=paude-{_name}-0", "-o", "jsonpath={.items[*].message}");
        Assert.Contains($"Successfully pulled image \"{digestImage}\"", events, StringComparison.Ordinal);

        // The same image without the pull secret: the registry refuses the pull, create fails as image-not-found.
        var refused = await cluster.PaudeAsync("create", _refused, "--image", digestImage, "--agent-command", SharedSessionFixture.StandInAgent);
        Assert.Equal(7, refused.ExitCode);
        Assert.Contains("unauthorized", refused.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(KubeServerFixture.Registry.Password, refused.Stdout + refused.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_login_exits_1_without_the_password_and_bad_requests_list_every_problem()
    {
        var target = $"{cluster.Server.RegistryAddress}/team/refused-{_name}:v1";
        const string Wrong = "wrong-registry-password-4711";

        // Its own process with --verbose: logs go to the real stderr.
        var wrong = await PaudeCli.RunProcessAsync(Wrong + "\n", "-v", "image", "push", "localhost/paude-base:ci", "--to", target, "-u", "pusher", "--password-stdin", "--tls-verify=false");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("unauthorized", wrong.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Pushing image 'localhost/paude-base:ci'", wrong.Stderr, StringComparison.Ordinal); // the log is on
        Assert.DoesNotContain(Wrong, wrong.Stdout + wrong.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("pusher:" + Wrong)), wrong.Stderr, StringComparison.Ordinal);

        // No login at all (podman's own logins have none for this registry): refused too.
        var anonymous = await PaudeCli.RunAsync("image", "push", "localhost/paude-base:ci", "--to", target, "--tls-verify=false");
        Assert.Equal(1, anonymous.ExitCode);

        // TLS is verified by default: the plain-HTTP registry is not reached that way.
        var tls = await PaudeCli.RunWithInputAsync(Password, "image", "push", "localhost/paude-base:ci", "--to", target, "-u", "pusher", "--password-stdin");
        Assert.Equal(1, tls.ExitCode);
        Assert.DoesNotContain(KubeServerFixture.Registry.Password, tls.Stdout + tls.Stderr, StringComparison.Ordinal);

        var bad = await PaudeCli.RunWithInputAsync(Encoding.UTF8.GetBytes("\n"), "image", "push", "bad image", "--to", "NoRegistry/Upper", "-u", "a:b", "--password-stdin");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Source:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("Destination:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("Username:", bad.Stderr, StringComparison.Ordinal);
        Assert.Contains("Password:", bad.Stderr, StringComparison.Ordinal);

        var missing = await PaudeCli.RunAsync("image", "push", "localhost/paude-no-such-image:x", "--to", target, "--tls-verify=false");
        Assert.Equal(7, missing.ExitCode);

        var noStdin = await PaudeCli.RunAsync("image", "push", "--to", target, "-u", "pusher");
        Assert.Equal(2, noStdin.ExitCode);
        Assert.Contains("--password-stdin", noStdin.Stderr, StringComparison.Ordinal);
    }
}
