using Paude.Conformance;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.Faults;

/// <summary>Faults on real Podman: conflicts, resources removed behind the SDK's back, cancellation.</summary>
public sealed class SessionFaultTests(PodmanFaultFixture fx) : IClassFixture<PodmanFaultFixture>
{
    [Fact]
    public async Task Creating_an_existing_session_fails_and_leaves_it_untouched()
    {
        var name = fx.NewName("dup");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        var before = (await Podman.InspectAsync($"paude-{name}")).GetProperty("Id").GetString();
        await fx.Backend.CheckAsync(name, "bash", "-c", "echo keep > /pvc/workspace/keep.txt");

        var ex = await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name) with { User = "1000680000:0" }));

        Assert.Equal(name.Value, ex.Name);
        Assert.Equal(SessionStatus.Running, (await fx.Backend.GetAsync(name))?.Status);
        Assert.Equal(before, (await Podman.InspectAsync($"paude-{name}")).GetProperty("Id").GetString());
        Assert.Equal("keep\n", await fx.Backend.CheckAsync(name, "cat", "/pvc/workspace/keep.txt"));
        Assert.True(await fx.Backend.DeleteAsync(name));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Theory]
    [InlineData("workspace")]
    [InlineData("sock")]
    [InlineData("proxy-config")]
    public async Task A_volume_of_the_session_name_that_exists_fails_Create_and_only_it_remains(string volume)
    {
        // The agent starts as soon as the two volumes it mounts are made, before the proxy config volume is: a name
        // taken by any one volume (someone else's) must still fail the create, remove what the create made (the agent
        // container included) and leave that volume as it was.
        var name = fx.NewName($"taken-{volume}");
        var taken = $"paude-{name}.{volume}";
        await Podman.CheckAsync("volume", "create", "--label", "paude.test.owner=someone-else", taken);
        var createdAt = (await Podman.CheckAsync("volume", "inspect", "--format", "{{.CreatedAt}}", taken)).Trim();

        var ex = await Assert.ThrowsAsync<SessionAlreadyExistsException>(() => fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name)));

        Assert.Equal(name.Value, ex.Name);
        Assert.Equal([$"volume {taken}"], await PodmanFaultFixture.LeftoversAsync(name.Value));
        Assert.Equal("someone-else", (await Podman.CheckAsync("volume", "inspect", "--format", "{{index .Labels \"paude.test.owner\"}}", taken)).Trim());
        Assert.Equal(createdAt, (await Podman.CheckAsync("volume", "inspect", "--format", "{{.CreatedAt}}", taken)).Trim());
        await Podman.CheckAsync("volume", "rm", taken);
    }

    [Fact]
    public async Task Proxy_removed_behind_our_back_reads_Degraded_and_Start_repairs_it()
    {
        var name = fx.NewName("degraded");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));

        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}.proxy");

        var degraded = await fx.Backend.GetAsync(name);
        Assert.Equal(SessionStatus.Degraded, degraded?.Status);
        Assert.Contains("proxy", degraded?.StatusReason ?? string.Empty, StringComparison.OrdinalIgnoreCase);

        var repaired = await fx.Backend.StartAsync(name);
        Assert.Equal(SessionStatus.Running, repaired.Status);
        Assert.Equal(SessionStatus.Running, (await fx.Backend.GetAsync(name))?.Status);
        Assert.Equal(0, (await Podman.RunAsync("container", "exists", $"paude-{name}.proxy")).ExitCode);

        // Egress works again through the re-created proxy, at once (Start returns only when squid serves): a denied
        // request gets squid's 403, not a connect error.
        var result = await fx.Backend.CurlAsync(name, $"http://{ConformanceFixture.DeniedHost}/");
        Assert.Equal("403", result.Status);
        Assert.True(await fx.Backend.DeleteAsync(name));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Fact]
    public async Task A_proxy_that_exits_at_start_fails_Create_fast_with_its_log_and_leaves_nothing()
    {
        // The base image's command is a bash without a terminal: it exits at once, as a crashing squid would.
        var name = fx.NewName("deadproxy");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<BackendOperationException>(() => fx.BoundedBackend.CreateAsync(PodmanFaultFixture.Spec(name) with { ProxyImage = "localhost/paude-base:ci" }));
        var took = watch.Elapsed;

        Assert.Contains($"the proxy of session '{name}' is not running", ex.Message, StringComparison.Ordinal);
        // The dead proxy stops the sibling waits (the bridge's socket wait would poll for 120 s): the create ends long
        // before its ready timeout would have ended it. Before, it took the whole timeout (2 min in CI).
        Assert.True(took < PodmanFaultFixture.BoundedReadyTimeout / 2, $"create failed only after {took}, ready timeout {PodmanFaultFixture.BoundedReadyTimeout}");
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Theory]
    [InlineData(50)]
    [InlineData(300)]
    [InlineData(700)]
    public async Task Cancellation_during_create_leaves_nothing_behind(int cancelAfterMs)
    {
        var name = fx.NewName($"cancel{cancelAfterMs}");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(cancelAfterMs));

        var canceled = false;
        try
        {
            await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name), cts.Token);
        }
        catch (OperationCanceledException)
        {
            canceled = true;
        }

        if (!canceled)
        {
            // Create won the race; the contract then is an ordinary running session.
            Assert.Equal(SessionStatus.Running, (await fx.Backend.GetAsync(name))?.Status);
            Assert.True(await fx.Backend.DeleteAsync(name));
        }

        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
        Assert.Null(await fx.Backend.GetAsync(name));
        Assert.True(canceled || cancelAfterMs >= 300, "a 50 ms cancellation must stop create");
    }
}
