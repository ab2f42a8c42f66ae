using System.Globalization;
using System.Text.Json;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Credentials;
using Paude.DependencyInjection;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>
/// Credentials of any size on the OpenShift backend (BUG-002), against the Kubernetes test server in restricted-v2
/// mode (pods are real Podman containers running as an arbitrary UID with GID 0), with the real packager reading a
/// fake host home. Nothing is mocked.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class CredentialDeliveryTests(KubeServerFixture fixture) : IAsyncLifetime, IDisposable
{
    private const int OneMiB = 1024 * 1024;
    private readonly CapturingLoggerProvider _logs = new();
    private readonly FakeClaudeHome _home = new();
    private ServiceProvider? _services;

    private ISessionBackend Backend => _services!.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");

    public Task InitializeAsync()
    {
        _services = BuildServices(_home);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _home.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task Package_over_3_MiB_arrives_intact_survives_pod_recreation_is_refreshed_on_start_and_removed_on_delete()
    {
        var name = fixture.NewName("creds");
        var spec = fixture.Spec(name) with { Credentials = ["claude"] };
        try
        {
            await Backend.CreateAsync(spec);

            // Split across Secrets, each within the 1 MiB object limit (as the API returns it, base64 included).
            var secrets = await SecretsAsync(name);
            Assert.True(secrets.Count >= 5, $"expected a package of > 3 MiB in >= 5 parts, got {secrets.Count}");
            long raw = 0;
            foreach (var secret in secrets)
            {
                Assert.True(secret.GetRawText().Length < OneMiB, $"{Name(secret)} is {secret.GetRawText().Length} bytes");
                Assert.Equal("Opaque", secret.GetProperty("type").GetString());
                var labels = secret.GetProperty("metadata").GetProperty("labels");
                Assert.Equal("paude", labels.GetProperty("app").GetString());
                Assert.Equal(name.Value, labels.GetProperty("paude.io/session-name").GetString());
                raw += secret.GetProperty("data").EnumerateObject().Where(p => p.Name.StartsWith("part-", StringComparison.Ordinal))
                    .Sum(p => (long)Convert.FromBase64String(p.Value.GetString()!).Length);
            }

            Assert.True(raw > 3 * OneMiB, $"package is only {raw} bytes");
            Assert.True(secrets.Single(s => Name(s) == $"paude-creds-{name}-0").GetProperty("data").TryGetProperty("parts.manifest", out _));

            // The pod's arbitrary UID (GID 0) reads every file byte-identical, with owner exec bits and links kept.
            var id = await ExecAsync(name, "sh", "-c", "id -u; id -g");
            var ids = id.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(long.Parse(ids[0], CultureInfo.InvariantCulture) >= 1000680000, id);
            Assert.Equal("0", ids[1]);
            await AssertDeliveredAsync(name);
            await AssertNothingLeakedAsync(name);

            // The StatefulSet recreates a deleted pod without the host: it comes back with the credentials.
            using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
            var pod = $"paude-{name}-0";
            var oldUid = (await client.CoreV1.ReadNamespacedPodAsync(pod, KubeServerFixture.Namespace)).Metadata.Uid;
            await fixture.KubectlAsync("delete", "pod", pod, "--wait=true");
            await WaitForNewPodAsync(client, pod, oldUid);
            await AssertDeliveredAsync(name);

            // Stop, change the host's credentials (new value, one more file: more parts), start: the new ones arrive.
            await Backend.StopAsync(name);
            _home.ApiKeySecret = "sk-ant-api-SECRET-" + Guid.NewGuid().ToString("N");
            _home.Write("settings.json", $"{{\"env\":{{\"ANTHROPIC_API_KEY\":\"{_home.ApiKeySecret}\"}}}}");
            _home.WriteBytes("plugins/cache/market/tool/1.0.0/lib/added.dat", FakeClaudeHome.RandomBytes(new Random(7), 1536 * 1024));
            Assert.Equal(SessionStatus.Running, (await Backend.StartAsync(name)).Status);
            var after = await SecretsAsync(name);
            Assert.True(after.Count > secrets.Count, $"parts {secrets.Count} -> {after.Count}");
            Assert.All(after, s => Assert.True(s.GetRawText().Length < OneMiB));
            await AssertDeliveredAsync(name);
            Assert.Equal(_home.ApiKeySecret, JsonDocument.Parse(await ExecAsync(name, "cat", "/home/paude/.claude/settings.json")).RootElement.GetProperty("env").GetProperty("ANTHROPIC_API_KEY").GetString());
            await AssertNothingLeakedAsync(name);

            // Delete removes every Secret (and verifies it).
            Assert.True(await Backend.DeleteAsync(name));
            Assert.Equal(string.Empty, (await fixture.KubectlAsync("get", "secret", "-l", $"paude.io/session-name={name}", "-o", "name")).Trim());
            Assert.Empty(await fixture.SessionObjectsAsync(name));
        }
        finally
        {
            await Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Unknown_sources_are_one_typed_error_naming_all_of_them_and_nothing_is_created()
    {
        var name = fixture.NewName("credbad");
        var spec = fixture.Spec(name) with { Credentials = ["claude", "nope", "bogus"] };
        var error = await Assert.ThrowsAsync<InvalidSessionSpecException>(() => Backend.CreateAsync(spec));
        Assert.Contains("'nope'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'bogus'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'claude'", error.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.SessionObjectsAsync(name));
        Assert.Null(await Backend.GetAsync(name));
    }

    [Fact]
    public async Task A_refused_package_rolls_back_and_leaves_no_secret()
    {
        using var home = new FakeClaudeHome(outsideLink: true);
        await using var services = BuildServices(home);
        var backend = services.GetRequiredService<ISessionBackendProvider>().GetBackend("openshift");
        var name = fixture.NewName("credref");
        var error = await Assert.ThrowsAsync<CredentialLinkRefusedException>(() => backend.CreateAsync(fixture.Spec(name) with { Credentials = ["claude"] }));
        Assert.Contains("escape", error.Message, StringComparison.Ordinal);
        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    private ServiceProvider BuildServices(FakeClaudeHome home) => CredentialServices.Build(fixture, home, _logs);

    private async Task AssertDeliveredAsync(SessionName name)
    {
        var expected = _home.Expected();
        var actual = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Lines(await ExecAsync(name, "find", "/credentials/claude", "-mindepth", "1", "-type", "l", "-printf", "%P\t%l\n")))
        {
            var (path, target) = Split(line);
            actual[path] = "l " + target;
        }

        var modes = Lines(await ExecAsync(name, "find", "/credentials/claude", "-type", "f", "-printf", "%P\t%m\n")).Select(Split).ToDictionary(p => p.Left, p => p.Right, StringComparer.Ordinal);
        foreach (var line in Lines(await ExecAsync(name, "sh", "-c", "cd /credentials/claude && find . -type f -exec sha256sum -- {} +")))
        {
            var hash = line[..64];
            var path = line[66..].StartsWith("./", StringComparison.Ordinal) ? line[68..] : line[66..];
            actual[path] = $"f {hash} {modes[path][^3]}";
        }

        static string Text(SortedDictionary<string, string> d) => string.Join('\n', d.Select(e => $"{e.Key} {e.Value}"));
        Assert.Equal(Text(expected), Text(actual));

        // Linked into $HOME for the agent; the memory-backed folder, not the PVC, holds it.
        Assert.Equal(expected[".credentials.json"].Split(' ')[1], (await ExecAsync(name, "sha256sum", "/home/paude/.claude/.credentials.json"))[..64]);
        Assert.Equal("tmpfs", (await ExecAsync(name, "stat", "-f", "-c", "%T", "/credentials")).Trim());
    }

    private async Task AssertNothingLeakedAsync(SessionName name)
    {
        var objects = await fixture.KubectlAsync("get", "statefulset,deployment,pod,configmap,service,networkpolicy,pvc", "-l", $"paude.io/session-name={name}", "-o", "json");
        var events = await fixture.KubectlAsync("get", "events", "-o", "json");
        foreach (var secret in _home.Secrets)
        {
            Assert.DoesNotContain(secret, objects, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, events, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, _logs.AllText, StringComparison.Ordinal);
        }

        // Nothing on the workspace volume: by content (grep exits 1 when nothing matches) and by name.
        var onPvc = await RunAsync(name, ["grep", "-rlF", "-e", _home.Secrets[0], "-e", _home.Secrets[1], "/pvc"]);
        Assert.Equal((1, string.Empty), (onPvc.Exit, onPvc.Stdout));
        // Claude Code's config folder is on the PVC (its state survives pod re-creation); the delivered pieces are
        // only linked into it from the memory-backed /credentials.
        Assert.Equal(string.Empty, (await ExecAsync(name, "find", "/pvc", "!", "-type", "l", "(", "-name", ".credentials.json", "-o", "-name", "part-*", "-o", "-name", ".paude-manifest*", ")")).Trim());
        Assert.Equal(string.Empty, (await ExecAsync(name, "find", "/pvc", "-type", "l", "!", "-lname", "/credentials/*")).Trim());
        Assert.Contains(_logs.Lines, l => l.Contains("Secret part(s)", StringComparison.Ordinal));
    }

    private async Task WaitForNewPodAsync(k8s.IKubernetes client, string pod, string oldUid)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (true)
        {
            var current = await KubeRead(client, pod, timeout.Token);
            if (current is { Status.Phase: "Running" } && current.Metadata.Uid != oldUid
                && current.Status.ContainerStatuses?.All(c => c.Ready) == true)
            {
                return;
            }

            await Task.Delay(250, timeout.Token);
        }
    }

    private static async Task<k8s.Models.V1Pod?> KubeRead(k8s.IKubernetes client, string pod, CancellationToken ct)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedPodAsync(pod, KubeServerFixture.Namespace, cancellationToken: ct);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<List<JsonElement>> SecretsAsync(SessionName name)
    {
        var json = await fixture.KubectlAsync("get", "secret", "-l", $"paude.io/session-name={name}", "-o", "json");
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("items").EnumerateArray().Select(e => e.Clone())];
    }

    private static string Name(JsonElement o) => o.GetProperty("metadata").GetProperty("name").GetString()!;

    private async Task<string> ExecAsync(SessionName name, params string[] argv)
    {
        var (exit, stdout, stderr) = await RunAsync(name, argv);
        Assert.True(exit == 0, $"{string.Join(' ', argv)} exited {exit}: {stderr}");
        return stdout;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(SessionName name, IReadOnlyList<string> argv)
    {
        await using var process = await Backend.StartProcessAsync(name, new ProcessSpec(argv));
        var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
        var stderr = new StreamReader(process.StandardError).ReadToEndAsync();
        var exit = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return (exit, await stdout, await stderr);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static (string Left, string Right) Split(string line) => (line[..line.IndexOf('\t', StringComparison.Ordinal)], line[(line.IndexOf('\t', StringComparison.Ordinal) + 1)..]);
}
