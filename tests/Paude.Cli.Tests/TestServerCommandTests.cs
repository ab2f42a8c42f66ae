using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests;

/// <summary>
/// "Try it without a cluster": <c>paude-test-server</c> started as a real process, driven with the real kubectl,
/// stopped with SIGINT as Ctrl+C would, and checked to leave no container, volume, network or file behind.
/// </summary>
[Collection("podman")]
public sealed class TestServerCommandTests
{
    [Fact]
    public async Task Test_server_serves_kubectl_until_sigint_then_removes_everything_it_started()
    {
        await using var server = await TestServerProcess.StartAsync("--namespace", "try-it");
        Assert.Equal("try-it", server.Namespace);
        Assert.True(File.Exists(server.KubeconfigPath), server.Banner);
        Assert.Contains($"export KUBECONFIG={server.KubeconfigPath}", server.Banner, StringComparison.Ordinal);

        var namespaces = await server.KubectlAsync(null, "get", "ns", "-o", "name");
        Assert.True(namespaces.ExitCode == 0, namespaces.ToString());
        Assert.Contains("namespace/try-it", namespaces.Stdout, StringComparison.Ordinal);

        // The kubeconfig's context names the printed namespace, so a pod made without -n lands there.
        const string Pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: hello}
            spec:
              containers:
              - name: main
                image: localhost/paude-agent:latest
                command: ["sleep", "infinity"]
            """;
        var created = await server.KubectlAsync(Pod, "create", "--validate=false", "-f", "-");
        Assert.True(created.ExitCode == 0, created.ToString());
        await Eventually.UntilAsync(server.LeftoversAsync, l => l.Any(x => x.StartsWith("container ", StringComparison.Ordinal)), "the pod's Podman container", TimeSpan.FromMinutes(1));
        var pods = await server.KubectlAsync(null, "get", "pods", "-n", "try-it", "-o", "name");
        Assert.Contains("pod/hello", pods.Stdout, StringComparison.Ordinal);
        Assert.NotEmpty(await server.LeftoversAsync());

        var (exitCode, output) = await server.InterruptAsync();

        Assert.True(exitCode == 0, output);
        Assert.Contains("stopped", output, StringComparison.Ordinal);
        Assert.Empty(await server.LeftoversAsync());
        Assert.False(Directory.Exists(Path.GetDirectoryName(server.KubeconfigPath)), "the server's temporary folder is left");
    }

    // A test that ends (or fails) without interrupting the server used to SIGKILL it, so its network (and whatever
    // else it had made) stayed behind: the one kt-* network a full test run leaked (ClusterSmokeScriptTests' failure
    // case). Disposal must let the server clean up.
    [Fact]
    public async Task Disposing_a_test_server_that_was_not_interrupted_still_removes_everything_it_started()
    {
        var server = await TestServerProcess.StartAsync("--namespace", "leak");
        var root = Path.GetDirectoryName(server.KubeconfigPath);
        try
        {
            Assert.NotEmpty(await server.LeftoversAsync()); // its network, at least
        }
        finally
        {
            await server.DisposeAsync();
        }

        Assert.Empty(await server.LeftoversAsync());
        Assert.False(Directory.Exists(root), "the server's temporary folder is left");
    }

    [Fact]
    public async Task Test_server_with_registry_serves_it_with_the_printed_login_and_removes_it()
    {
        await using var server = await TestServerProcess.StartAsync("--registry", "me");
        var line = server.Banner.Split('\n').Single(l => l.StartsWith("registry: ", StringComparison.Ordinal));
        var match = System.Text.RegularExpressions.Regex.Match(line, @"^registry: (127\.0\.0\.1:\d+) \(plain HTTP; user me, password ([0-9a-f]{24})\)");
        Assert.True(match.Success, server.Banner);
        var (address, password) = (match.Groups[1].Value, match.Groups[2].Value);
        Assert.Contains($"paude image push --to {address}/team/paude-agent:v1 -u me --password-stdin --tls-verify=false", server.Banner, StringComparison.Ordinal);

        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(new Uri($"http://{address}/v2/"))).StatusCode);
        using var login = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{address}/v2/"));
        login.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"me:{password}")));
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.SendAsync(login)).StatusCode);

        var (exitCode, output) = await server.InterruptAsync();
        Assert.True(exitCode == 0, output);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://{address}/v2/")));
    }
}
