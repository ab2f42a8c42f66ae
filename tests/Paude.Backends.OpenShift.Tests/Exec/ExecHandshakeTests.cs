using System.Net.WebSockets;
using Paude.Backends.OpenShift.Exec;
using Paude.Backends.OpenShift.Resilience;
using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Errors;
using Paude.Execution;
using Paude.Testing.Kubernetes;

namespace Paude.Backends.OpenShift.Tests.Exec;

[Collection(KubeServerCollection.Name)]
public sealed class ExecHandshakeTests(KubeServerFixture fixture)
{
    [Theory]
    [InlineData("The server returned status code '500' when status code '101' was expected.", 500)]
    [InlineData("The server returned status code '429' when status code '101' was expected.", 429)]
    [InlineData("The server returned status code '400' when status code '101' was expected.", 400)]
    [InlineData("no status here", null)]
    public void The_handshake_status_is_read_from_the_websocket_error(string message, int? expected) =>
        Assert.Equal(expected, PodExec.HandshakeStatus(new WebSocketException(WebSocketError.NotAWebSocket, message)));

    [Fact]
    public async Task Exec_handshakes_answered_429_and_500_are_retried_and_keep_the_v5_protocol()
    {
        var name = await SharedSession.GetAsync(fixture);
        using var client = fixture.Server.CreateClient(KubeServerFixture.Namespace);
        var options = new OpenShiftBackendOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 5 };
        var exec = new PodExec(client, KubeServerFixture.Namespace, KubeResilience.Build(options, TimeProvider.System));
        var before = fixture.Server.Faults.Injected;
        fixture.Server.Faults.Add(new FaultRule { Resource = "pods/exec", StatusCode = 500, Count = 2 });
        fixture.Server.Faults.Add(new FaultRule { Resource = "pods/exec", StatusCode = 429, Count = 1, RetryAfter = TimeSpan.Zero });
        try
        {
            await using var session = await exec.StartAsync($"paude-{name}-0", "paude", new ProcessSpec(["cat"]) { RedirectStandardInput = true }, CancellationToken.None);
            Assert.Equal(3, fixture.Server.Faults.Injected - before);
            Assert.True(session.IsV5);
            Assert.False(session.FramedStdin);
            var output = new StreamReader(session.StandardOutput).ReadToEndAsync();
            await session.StandardInput.WriteAsync("still v5\n"u8.ToArray());
            await session.StandardInput.DisposeAsync();
            Assert.Equal(0, await session.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal("still v5\n", await output);
        }
        finally
        {
            fixture.Server.Faults.Clear();
        }

        // The next exec is v5 as well: the failed handshakes did not downgrade the backend to v4.
        await using (var next = await exec.StartAsync($"paude-{name}-0", "paude", new ProcessSpec(["true"]), CancellationToken.None))
        {
            Assert.True(next.IsV5);
            Assert.Equal(0, await next.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1)));
        }

        // A non-transient answer is not retried and not mistaken for a protocol refusal.
        fixture.Server.Faults.Add(new FaultRule { Resource = "pods/exec", StatusCode = 403, Count = 1 });
        try
        {
            var e = await Assert.ThrowsAsync<BackendOperationException>(() => exec.StartAsync($"paude-{name}-0", "paude", new ProcessSpec(["true"]), CancellationToken.None));
            Assert.Contains("403", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Server.Faults.Clear();
        }
    }
}
