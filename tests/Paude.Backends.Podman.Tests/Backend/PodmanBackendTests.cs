using System.Text.Json;
using Paude.Backends.Podman.Backend;
using Paude.Conformance;
using Paude.Egress;
using Paude.Sessions;

namespace Paude.Tests.Backend;

/// <summary>The Podman backend's own operations against real Podman, beyond the shared conformance suite.</summary>
public sealed class PodmanBackendTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task Create_puts_the_contract_labels_env_and_mounts_on_the_agent_and_an_arbitrary_uid_can_write_the_workspace()
    {
        var name = fixture.NewName("labels");
        var workspace = Directory.CreateTempSubdirectory("paude-ws-").FullName;
        try
        {
            var spec = fixture.Spec(name) with { Workspace = workspace, User = "1000680000:0", Headless = false };
            var info = await fixture.Backend.CreateAsync(spec);
            Assert.Equal(SessionStatus.Running, info.Status);

            var agent = await Podman.InspectAsync($"paude-{name}");
            var labels = agent.GetProperty("Config").GetProperty("Labels");
            Assert.Equal("paude", labels.GetProperty("app").GetString());
            Assert.Equal("agent", labels.GetProperty("paude.io/role").GetString());
            Assert.Equal(workspace, SessionLabels.Decode(labels.GetProperty("paude.io/workspace").GetString()));
            Assert.Equal("example.test", SessionLabels.Decode(labels.GetProperty("paude.io/allowed-domains").GetString()));
            Assert.Equal(BackendFixture.StandIn, JsonSerializer.Deserialize<string[]>(SessionLabels.Decode(labels.GetProperty("paude.io/agent-argv").GetString())!));
            Assert.Equal("false", labels.GetProperty("paude.io/headless").GetString());
            Assert.Equal("1000680000:0", agent.GetProperty("Config").GetProperty("User").GetString());
            var env = agent.GetProperty("Config").GetProperty("Env").EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains("HTTPS_PROXY=http://127.0.0.1:3128", env);
            Assert.Contains("PAUDE_PROXY_SOCKET=/run/paude-proxy/proxy.sock", env);
            Assert.Contains("PAUDE_HEADLESS=0", env);

            // The agent has no network (its proxy is a unix socket, mounted read-only); the proxy only the way out.
            Assert.Equal("none", agent.GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
            var socket = agent.GetProperty("Mounts").EnumerateArray().Single(m => m.GetProperty("Destination").GetString() == "/run/paude-proxy");
            Assert.Equal($"paude-{name}.sock", socket.GetProperty("Name").GetString());
            Assert.False(socket.GetProperty("RW").GetBoolean());
            var proxy = await Podman.InspectAsync($"paude-{name}.proxy");
            var proxyNets = proxy.GetProperty("NetworkSettings").GetProperty("Networks").EnumerateObject().Select(p => p.Name).Order().ToList();
            Assert.Equal(["podman"], proxyNets);
            Assert.True(agent.GetProperty("HostConfig").GetProperty("Init").GetBoolean());

            var id = await fixture.Backend.CheckAsync(name, "sh", "-c", "id -u; id -g; touch /pvc/workspace/w && stat -c %a /credentials && touch /credentials/c && echo ok");
            Assert.Equal(["1000680000", "0", "770", "ok"], id.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            var mounts = await fixture.Backend.CheckAsync(name, "sh", "-c", "grep ' /credentials ' /proc/mounts | cut -d' ' -f3");
            Assert.Equal("tmpfs", mounts.Trim());

            var got = await fixture.Backend.GetAsync(name);
            Assert.NotNull(got);
            Assert.Equal(SessionStatus.Running, got.Status);
            Assert.Equal(workspace, got.Workspace);
            Assert.Equal(EgressPolicy.Parse(["example.test"]), got.Egress);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
            Directory.Delete(workspace, recursive: true);
        }
    }

    [Fact]
    public async Task Stopped_proxy_reads_Degraded_with_the_reason_and_Start_and_Stop_are_idempotent()
    {
        var name = fixture.NewName("degraded");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            await Podman.CheckAsync("stop", "-t", "0", $"paude-{name}.proxy");
            var degraded = await fixture.Backend.GetAsync(name);
            Assert.Equal(SessionStatus.Degraded, degraded!.Status);
            Assert.Contains("proxy container is exited", degraded.StatusReason, StringComparison.Ordinal);

            Assert.Equal(SessionStatus.Running, (await fixture.Backend.StartAsync(name)).Status);
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.StartAsync(name)).Status);
            Assert.Equal(SessionStatus.Stopped, (await fixture.Backend.StopAsync(name)).Status);
            Assert.Equal(SessionStatus.Stopped, (await fixture.Backend.StopAsync(name)).Status);
            var proxy = await Podman.InspectAsync($"paude-{name}.proxy");
            Assert.False(proxy.GetProperty("State").GetProperty("Running").GetBoolean());

            var listed = await fixture.Backend.ListAsync().Where(s => s.Name == name).ToListAsync();
            Assert.Equal(SessionStatus.Stopped, Assert.Single(listed).Status);
        }
        finally
        {
            Assert.True(await fixture.Backend.DeleteAsync(name));
        }
    }

    [Fact]
    public async Task Allow_list_set_while_stopped_is_kept_in_the_config_volume_and_survives_proxy_recreation()
    {
        var name = fixture.NewName("egress");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            Assert.Equal(EgressPolicy.Parse(["example.test"]), await fixture.Backend.GetEgressPolicyAsync(name));
            await fixture.Backend.StopAsync(name);
            var changed = EgressPolicy.Parse(["changed.test", ".wild.test"]);
            await fixture.Backend.SetEgressPolicyAsync(name, changed);
            Assert.Equal(changed, await fixture.Backend.GetEgressPolicyAsync(name));

            // Proxy removed behind our back: start re-creates it from the config volume, which keeps the new list.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}.proxy");
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.StartAsync(name)).Status);
            Assert.Equal(changed, await fixture.Backend.GetEgressPolicyAsync(name));
            var conf = await Podman.CheckAsync("exec", $"paude-{name}.proxy", "cat", SquidConfig.ConfigPath);
            Assert.Equal(SquidConfig.Render(changed), conf);

            // Config volume gone too: the list the session was created with comes back from the agent's labels.
            await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}.proxy");
            await Podman.CheckAsync("volume", "rm", $"paude-{name}.proxy-config");
            Assert.Equal(SessionStatus.Running, (await fixture.Backend.StartAsync(name)).Status);
            Assert.Equal(EgressPolicy.Parse(["example.test"]), await fixture.Backend.GetEgressPolicyAsync(name));
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Credentials_are_delivered_to_memory_on_create_and_again_on_every_start()
    {
        var name = fixture.NewName("creds");
        var before = fixture.Packager.Calls;
        await fixture.Backend.CreateAsync(fixture.Spec(name) with { Credentials = ["testsrc"], User = "1000680000:0" });
        try
        {
            Assert.Equal("secret-for-testsrc", await fixture.Backend.CheckAsync(name, "cat", "/tmp/restored-token"));
            await fixture.Backend.StopAsync(name);
            await fixture.Backend.StartAsync(name);
            Assert.Equal("secret-for-testsrc", await fixture.Backend.CheckAsync(name, "cat", "/credentials/token"));
            Assert.Equal(before + 2, fixture.Packager.Calls);

            // The secret is never in the container's config.
            var inspect = await Podman.CheckAsync("container", "inspect", $"paude-{name}");
            Assert.DoesNotContain("secret-for", inspect, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Unknown_credential_source_is_refused_before_anything_is_created()
    {
        var name = fixture.NewName("badcreds");
        var ex = await Assert.ThrowsAsync<Errors.InvalidSessionSpecException>(() => fixture.Backend.CreateAsync(fixture.Spec(name) with { Credentials = ["nosuch"] }));
        Assert.Contains(ex.Errors, e => e.Contains("'nosuch'", StringComparison.Ordinal));
        Assert.Empty(await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}"));
    }

    [Fact]
    public async Task Orphaned_workspace_volume_reads_as_Degraded_and_Delete_removes_it()
    {
        var name = fixture.NewName("orphan");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}", $"paude-{name}.proxy");

        var info = await fixture.Backend.GetAsync(name);
        Assert.Equal(SessionStatus.Degraded, info!.Status);
        Assert.Contains("agent container is missing", info.StatusReason, StringComparison.Ordinal);

        Assert.True(await fixture.Backend.DeleteAsync(name));
        Assert.Empty(await Podman.ResourcesLabelledAsync($"paude.io/session-name={name}"));
        Assert.Null(await fixture.Backend.GetAsync(name));
        Assert.False(await fixture.Backend.DeleteAsync(name));
    }

    [Fact]
    public async Task Blocked_requests_are_readable_after_the_proxy_stopped()
    {
        var name = fixture.NewName("blocked");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            // Create returns only once the proxy serves, so the very first request gets squid's answer, not a refusal.
            Assert.Equal("403", (await fixture.Backend.CurlAsync(name, "http://denied-host.test/x")).Status);
            await fixture.Backend.StopAsync(name);
            var blocked = await fixture.Backend.GetBlockedRequestsAsync(name).ToListAsync();
            Assert.Contains(blocked, b => b.Host == "denied-host.test");
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Disposing_or_cancelling_a_running_process_kills_it_inside_the_container()
    {
        var name = fixture.NewName("kill");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            var process = await fixture.Backend.StartProcessAsync(name, new Execution.ProcessSpec(["sh", "-c", "sleep 601 & sleep 602"]));
            await WaitForAsync(name, "sleep 602", present: true);
            await process.DisposeAsync();
            await WaitForAsync(name, "sleep 60[12]", present: false);

            var second = await fixture.Backend.StartProcessAsync(name, new Execution.ProcessSpec(["sleep", "603"]));
            await WaitForAsync(name, "sleep 603", present: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitForExitAsync(cts.Token));
            await WaitForAsync(name, "sleep 603", present: false);
            await second.DisposeAsync();
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    private async Task WaitForAsync(SessionName name, string pattern, bool present)
    {
        for (var i = 0; i < 50; i++)
        {
            var ps = await Podman.RunAsync("exec", $"paude-{name}", "sh", "-c", "ps -eo args | grep -c \"^$1\"", "sh", pattern);
            var count = int.Parse(ps.StandardOutput.Trim(), System.Globalization.CultureInfo.InvariantCulture);
            if ((count > 0) == present)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"'{pattern}' was {(present ? "never seen" : "still running")} in the container");
    }
}
