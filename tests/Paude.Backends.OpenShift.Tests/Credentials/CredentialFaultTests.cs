using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Execution;
using Paude.Sessions;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Credentials;

/// <summary>Credential delivery under API faults, and a tampered part refused inside the pod.</summary>
[Collection(KubeServerCollectionB.Name)]
public sealed class CredentialFaultTests(KubeServerFixture fixture) : IDisposable
{
    private readonly CapturingLoggerProvider _logs = new();
    private readonly FakeClaudeHome _home = new();

    public void Dispose()
    {
        _home.Dispose();
        _logs.Dispose();
    }

    [Fact]
    public async Task With_a_fifth_of_api_calls_failing_credentials_are_delivered_refreshed_and_removed()
    {
        await using var services = CredentialServices.Build(fixture, _home, _logs);
        var backend = services.Backend();
        var name = fixture.NewName("credflt");
        var before = fixture.Server.Faults.Injected;
        fixture.Server.Faults.Add(new FaultRule { StatusCode = 429, Probability = 0.1, RetryAfter = TimeSpan.FromMilliseconds(100) });
        fixture.Server.Faults.Add(new FaultRule { StatusCode = 500, Probability = 0.1 });
        try
        {
            Assert.Equal(SessionStatus.Running, (await backend.CreateAsync(fixture.Spec(name) with { Credentials = ["claude"] })).Status);
            Assert.Equal(SessionStatus.Stopped, (await backend.StopAsync(name)).Status);
            _home.Write(".credentials.json", "{\"claudeAiOauth\":{\"accessToken\":\"changed-" + Guid.NewGuid().ToString("N") + "\"}}");
            Assert.Equal(SessionStatus.Running, (await backend.StartAsync(name)).Status);
            fixture.Server.Faults.Clear();
            var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Join(_home.ClaudeDir, ".credentials.json"))));
            Assert.StartsWith(expected, await ExecAsync(backend, name, "sha256sum", "/home/paude/.claude/.credentials.json"), StringComparison.Ordinal);
            Assert.True(await backend.DeleteAsync(name));
            Assert.True(fixture.Server.Faults.Injected - before >= 5, $"only {fixture.Server.Faults.Injected - before} faults fired");
        }
        finally
        {
            fixture.Server.Faults.Clear();
            await backend.DeleteAsync(name);
        }

        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    [Fact]
    public async Task A_tampered_part_is_refused_by_the_recreated_pod_with_a_clear_message_and_no_credentials()
    {
        await using var services = CredentialServices.Build(fixture, _home, _logs);
        var backend = services.Backend();
        var name = fixture.NewName("credtamper");
        try
        {
            await backend.CreateAsync(fixture.Spec(name) with { Credentials = ["claude"] });

            // Someone with API access flips part 1; the next pod (recreated by the StatefulSet) must refuse it.
            using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
            var secretName = $"paude-creds-{name}-1";
            var secret = await client.CoreV1.ReadNamespacedSecretAsync(secretName, KubeServerFixture.Namespace);
            var data = secret.Data["part-0001"];
            data[data.Length / 2] ^= 0xFF;
            await client.CoreV1.ReplaceNamespacedSecretAsync(secret, secretName, KubeServerFixture.Namespace);
            await fixture.KubectlAsync("delete", "pod", $"paude-{name}-0", "--wait=true");

            // The restore step refuses the part (its message is in the pod log) and the container keeps restarting.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var logs = string.Empty;
            var restarts = 0;
            while (!logs.Contains("paude-restore-credentials: credential part 'part-0001' is corrupted", StringComparison.Ordinal) || restarts < 1)
            {
                await Task.Delay(500, timeout.Token);
                logs = await PodLogsAsync(client, $"paude-{name}-0", timeout.Token);
                restarts = await RestartsAsync(client, $"paude-{name}-0", timeout.Token);
            }

            Assert.Equal(string.Empty, await ExecOrEmptyAsync(backend, name));

            // Start rewrites the Secrets from the host and replaces the failing pod: the credentials arrive again.
            Assert.Equal(SessionStatus.Running, (await backend.StartAsync(name)).Status);
            var expected = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Join(_home.ClaudeDir, ".credentials.json"))));
            Assert.StartsWith(expected, await ExecAsync(backend, name, "sha256sum", "/credentials/claude/.credentials.json"), StringComparison.Ordinal);
            Assert.Contains(_logs.Lines, l => l.Contains("keeps failing; replacing it", StringComparison.Ordinal));
        }
        finally
        {
            await backend.DeleteAsync(name);
        }

        Assert.Empty(await fixture.SessionObjectsAsync(name));
    }

    private static async Task<int> RestartsAsync(IKubernetes client, string pod, CancellationToken ct)
    {
        try
        {
            var current = await client.CoreV1.ReadNamespacedPodAsync(pod, KubeServerFixture.Namespace, cancellationToken: ct);
            return current.Status?.ContainerStatuses?.Sum(c => c.RestartCount) ?? 0;
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return 0; // not recreated yet
        }
    }

    private static async Task<string> PodLogsAsync(IKubernetes client, string pod, CancellationToken ct)
    {
        try
        {
            using var stream = await client.CoreV1.ReadNamespacedPodLogAsync(pod, KubeServerFixture.Namespace, cancellationToken: ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(ct);
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            return string.Empty; // not created or not started yet
        }
    }

    /// <summary>No exec is possible into a pod whose container never got past the restore step.</summary>
    private static async Task<string> ExecOrEmptyAsync(ISessionBackend backend, SessionName name)
    {
        try
        {
            return await ExecAsync(backend, name, "ls", "-A", "/credentials");
        }
        catch (Errors.PaudeException)
        {
            return string.Empty;
        }
    }

    private static async Task<string> ExecAsync(ISessionBackend backend, SessionName name, params string[] argv)
    {
        await using var process = await backend.StartProcessAsync(name, new ProcessSpec(argv));
        var stdout = new StreamReader(process.StandardOutput).ReadToEndAsync();
        var stderr = new StreamReader(process.StandardError).ReadToEndAsync();
        var exit = await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"{string.Join(' ', argv)} exited {exit}: {await stderr}");
        return await stdout;
    }
}
