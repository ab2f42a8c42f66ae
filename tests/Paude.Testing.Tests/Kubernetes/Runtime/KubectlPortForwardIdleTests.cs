using Paude.Tests.Infrastructure;

namespace Paude.Tests.Kubernetes.Runtime;

/// <summary>
/// The kubelet's streaming idle timeout on the test server's port-forward (here 8 s): a SPDY session without a frame
/// is closed with GOAWAY. The real <c>kubectl port-forward</c> pings every few seconds over the SPDY upgrade and keeps
/// its session through quiet spells several times that long; over the WebSocket tunnel it does not ping.
/// </summary>
public sealed class KubectlPortForwardIdleTests(IdlePortForwardServerFixture fixture) : IClassFixture<IdlePortForwardServerFixture>
{
    [Fact]
    public async Task A_silent_spdy_session_gets_goaway_after_the_idle_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var name = await KubectlPortForwardTests.StartFileServerPodAsync(fixture, cts.Token);
        using var tcp = new System.Net.Sockets.TcpClient();
        var stream = await KubectlPortForwardTests.UpgradeToSpdyAsync(fixture, tcp, name, cts.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var goAway = new byte[16];
        await stream.ReadExactlyAsync(goAway, cts.Token);
        Assert.Equal(new byte[] { 0x80, 0x03, 0x00, 0x07, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0 }, goAway);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], cts.Token));
        Assert.InRange(clock.Elapsed, IdlePortForwardServerFixture.IdleTimeout - TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Kubectl_over_the_spdy_upgrade_pings_and_keeps_its_session_past_the_idle_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var forward = await ForwardAsync(websockets: false, cts.Token);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var uri = new Uri($"http://127.0.0.1:{forward.LocalPort}/f7");
        Assert.Equal(KubectlPortForwardTests.Expected(7), await http.GetByteArrayAsync(uri, cts.Token));

        await Task.Delay(IdlePortForwardServerFixture.IdleTimeout * 3, cts.Token);
        Assert.False(forward.HasExited, forward.Output);
        Assert.Equal(KubectlPortForwardTests.Expected(7), await http.GetByteArrayAsync(uri, cts.Token));
    }

    [Fact]
    public async Task Kubectl_over_the_websocket_tunnel_sends_no_spdy_ping_and_a_quiet_forward_is_closed()
    {
        // Measured with kubectl 1.32: over the WebSocket tunnel (its default) kubectl sends no SPDY PING, so a quiet
        // forward meets the idle timeout, as it would meet the kubelet's 4 h; kubectl says so and exits.
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var forward = await ForwardAsync(websockets: true, cts.Token);
        await Eventually.UntilAsync(() => Task.FromResult(forward.Output), o => o.Contains("lost connection to pod", StringComparison.Ordinal), "kubectl reports the closed session");
    }

    private async Task<KubectlPortForwardTests.KubectlForward> ForwardAsync(bool websockets, CancellationToken ct)
    {
        var name = await KubectlPortForwardTests.StartFileServerPodAsync(fixture, ct);
        return await KubectlPortForwardTests.KubectlForward.StartAsync(fixture.Server.KubeconfigPath, name, "8080", websockets, ct);
    }
}
