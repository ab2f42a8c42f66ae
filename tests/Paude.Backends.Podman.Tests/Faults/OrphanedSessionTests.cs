using Paude.Conformance;
using Paude.Errors;
using Paude.Execution;
using Paude.Sessions;

namespace Paude.Tests.Faults;

/// <summary>
/// Sessions whose containers were removed behind the SDK's back (real Podman): what remains is listed, Start re-creates
/// the containers from the workspace volume's labels, Delete removes the leftovers.
/// </summary>
public sealed class OrphanedSessionTests(PodmanFaultFixture fx) : IClassFixture<PodmanFaultFixture>
{
    [Fact]
    public async Task Containers_removed_behind_our_back_leave_a_listed_Degraded_session_that_Start_recreates_with_its_config()
    {
        var name = fx.NewName("orphan");
        var spec = PodmanFaultFixture.Spec(name) with { User = "1000680000:0", Environment = new Dictionary<string, string> { ["PAUDE_TEST_VALUE"] = "a b=c" } };
        await fx.Backend.CreateAsync(spec);
        await fx.Backend.CheckAsync(name, "bash", "-c", "echo kept > /pvc/workspace/kept.txt");

        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}", $"paude-{name}.proxy");

        var orphan = await fx.Backend.GetAsync(name);
        Assert.Equal(SessionStatus.Degraded, orphan?.Status);
        Assert.Contains("agent container is missing", orphan?.StatusReason ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(spec.Egress, orphan?.Egress);
        var listed = await ListAsync();
        Assert.Contains(listed, s => s.Name == name && s.Status == SessionStatus.Degraded);
        await Assert.ThrowsAsync<SessionNotRunningException>(() => fx.Backend.ExecAsync(name, ["true"]));
        Assert.Equal(SessionStatus.Degraded, (await fx.Backend.StopAsync(name)).Status);

        var started = await fx.Backend.StartAsync(name);

        Assert.Equal(SessionStatus.Running, started.Status);
        Assert.Equal("kept\n", await fx.Backend.CheckAsync(name, "cat", "/pvc/workspace/kept.txt"));
        var id = await fx.Backend.CheckAsync(name, "sh", "-c", "id -u; printenv PAUDE_TEST_VALUE; cat /tmp/agent-started");
        Assert.Equal("1000680000\na b=c\nstarted\n", id);
        Assert.Equal(SessionStatus.Running, (await ListAsync()).Single(s => s.Name == name).Status);

        Assert.True(await fx.Backend.DeleteAsync(name));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Fact]
    public async Task Only_the_workspace_volume_left_Start_recreates_socket_proxy_config_and_containers()
    {
        var name = fx.NewName("onlyvol");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}", $"paude-{name}.proxy");
        await Podman.CheckAsync("volume", "rm", $"paude-{name}.sock");
        await Podman.CheckAsync("volume", "rm", $"paude-{name}.proxy-config");
        Assert.Equal([$"volume paude-{name}.workspace"], await PodmanFaultFixture.LeftoversAsync(name));
        Assert.Equal(SessionStatus.Degraded, (await fx.Backend.GetAsync(name))?.Status);

        Assert.Equal(SessionStatus.Running, (await fx.Backend.StartAsync(name)).Status);

        // The re-created proxy enforces the session's allow-list (from the labels): a denied host gets squid's 403, at
        // once, because Start returns only when the proxy serves.
        var result = await fx.Backend.CurlAsync(name, $"http://{ConformanceFixture.DeniedHost}/");
        Assert.Equal("403", result.Status);
        Assert.True(await fx.Backend.DeleteAsync(name));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
    }

    [Fact]
    public async Task Leftovers_without_the_workspace_volume_read_Error_Start_changes_nothing_and_Delete_removes_them()
    {
        var name = fx.NewName("leftover");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}", $"paude-{name}.proxy");
        await Podman.CheckAsync("volume", "rm", $"paude-{name}.workspace");
        var before = await PodmanFaultFixture.LeftoversAsync(name);

        var info = await fx.Backend.GetAsync(name);
        Assert.Equal(SessionStatus.Error, info?.Status);
        Assert.Contains(await ListAsync(), s => s.Name == name && s.Status == SessionStatus.Error);
        var ex = await Assert.ThrowsAsync<BackendOperationException>(() => fx.Backend.StartAsync(name));
        Assert.Contains("workspace volume", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await PodmanFaultFixture.LeftoversAsync(name));

        Assert.True(await fx.Backend.DeleteAsync(name));
        Assert.Empty(await PodmanFaultFixture.LeftoversAsync(name));
        Assert.Null(await fx.Backend.GetAsync(name));
        Assert.False(await fx.Backend.DeleteAsync(name));
    }

    [Fact]
    public async Task A_failed_recreate_is_rolled_back_and_never_touches_a_foreign_container_holding_the_name()
    {
        var name = fx.NewName("conflict");
        await fx.Backend.CreateAsync(PodmanFaultFixture.Spec(name));
        await Podman.CheckAsync("rm", "-f", "-t", "0", $"paude-{name}", $"paude-{name}.proxy");

        // Someone else's container (no session labels) now holds the proxy's name.
        var foreign = (await Podman.CheckAsync("create", "--name", $"paude-{name}.proxy", "--label", $"paude.test={fx.RunId}", "localhost/paude-agent:latest", "true")).Trim();

        await Assert.ThrowsAsync<BackendOperationException>(() => fx.Backend.StartAsync(name));

        Assert.Equal(foreign, (await Podman.InspectAsync($"paude-{name}.proxy")).GetProperty("Id").GetString());
        Assert.Equal(1, (await Podman.RunAsync("container", "exists", $"paude-{name}")).ExitCode);
        Assert.Equal(SessionStatus.Degraded, (await fx.Backend.GetAsync(name))?.Status);
        Assert.True(await fx.Backend.DeleteAsync(name));

        // Delete removes only what carries the session's label: the foreign container keeps its name.
        Assert.Equal([$"container paude-{name}.proxy"], await PodmanFaultFixture.LeftoversAsync(name));
        Assert.Equal(foreign, (await Podman.InspectAsync($"paude-{name}.proxy")).GetProperty("Id").GetString());
        await Podman.CheckAsync("rm", "-f", "-t", "0", foreign);
    }

    private async Task<List<SessionInfo>> ListAsync()
    {
        var all = new List<SessionInfo>();
        await foreach (var s in fx.Backend.ListAsync())
        {
            all.Add(s);
        }

        return all;
    }
}
