using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Paude.Conformance;

namespace Paude.Tests.Backend;

/// <summary>
/// The hostile agent tries to get out of its session other than through its own proxy (issue 11, item 2): the host's
/// listeners (a server the test starts on 0.0.0.0, tried at every host address, which includes every Podman network
/// gateway), name resolution (a side channel past the allow-list), another session's proxy by address. Each probe is
/// bash's /dev/tcp with a 2 s timeout, from inside a real session's agent; every address tried is this machine's.
/// (Allowed traffic through the proxy and the 403 + log of a blocked host: PodmanConformanceTests.)
/// </summary>
public sealed class NetworkIsolationTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    /// <summary>Prints each address (argument) on which a TCP connect to port $PORT succeeds within 2 s.</summary>
    private const string ConnectProbe = "for a in \"$@\"; do timeout 2 bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' probe \"$a\" \"$PORT\" 2>/dev/null && echo \"$a\"; done; true";

    [Fact]
    public async Task Agent_has_loopback_only_no_route_and_still_reaches_its_proxy()
    {
        var name = fixture.NewName("noroute");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            var interfaces = await fixture.Backend.CheckAsync(name, "bash", "-c", "ls /sys/class/net");
            var routes = await fixture.Backend.CheckAsync(name, "bash", "-c", "tail -n +2 /proc/net/route");
            Assert.Equal(["lo"], interfaces.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(string.Empty, routes.Trim());

            // The proxy still answers: example.test is allowed but does not resolve (squid's 503), a blocked host is 403.
            var (_, blocked, _) = await fixture.Backend.CurlAsync(name, "http://blocked.paude.test/");
            Assert.Equal("403", blocked);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Agent_cannot_replace_the_socket_and_both_bridges_come_back_when_socat_is_killed()
    {
        var name = fixture.NewName("bridge");
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            // The socket folder is read-only in the agent: it cannot swap the socket for one of its own.
            var replace = await fixture.Backend.CheckAsync(name, "bash", "-c", "rm -f /run/paude-proxy/proxy.sock 2>/dev/null && echo removed; touch /run/paude-proxy/x 2>/dev/null && echo created; [ -S /run/paude-proxy/proxy.sock ] && echo present");
            Assert.Equal("present", replace.Trim());

            // A dead socat on either side is restarted by its entrypoint loop; the proxy answers again.
            await fixture.Backend.CheckAsync(name, "bash", "-c", "kill $(pgrep -x socat)");
            await Podman.CheckAsync("exec", $"paude-{name}.proxy", "bash", "-c", "kill $(pgrep -x socat)");
            var status = await Eventually.UntilAsync(
                async () => (await fixture.Backend.CurlAsync(name, "http://blocked.paude.test/")).Status,
                s => s == "403",
                "squid's 403 through the restarted bridges",
                TimeSpan.FromSeconds(20));
            Assert.Equal("403", status);
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Host_listener_on_all_addresses_is_unreachable_from_the_agent()
    {
        var name = fixture.NewName("hostlisten");
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await fixture.Backend.CreateAsync(fixture.Spec(name));
        try
        {
            // Every IPv4 address of the host but loopback (inside the agent 127.0.0.1 is its own): the physical
            // interfaces and each Podman bridge's gateway, the address a container on that network reaches the host by.
            var addresses = HostAddresses();
            Assert.NotEmpty(addresses);
            var reached = await fixture.Backend.CheckAsync(name, ["bash", "-c", $"PORT={port}; {ConnectProbe}", "probe", .. addresses]);

            Assert.Equal(string.Empty, reached.Trim());
            Assert.False(listener.Pending(), "the host listener has a connection waiting");
        }
        finally
        {
            listener.Stop();
            await fixture.Backend.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task No_name_resolves_in_the_agent_neither_its_proxy_nor_other_containers_nor_the_host()
    {
        var name = fixture.NewName("nodns");
        var other = fixture.NewName("nodns-other");
        await Task.WhenAll(fixture.Backend.CreateAsync(fixture.Spec(name)), fixture.Backend.CreateAsync(fixture.Spec(other)));
        try
        {
            string[] names = ["paude-proxy", $"paude-{name}.proxy", $"paude-{other}.proxy", $"paude-{other}", "host.containers.internal", "host.docker.internal"];
            var resolved = await fixture.Backend.CheckAsync(name, ["bash", "-c", "for n in \"$@\"; do timeout 5 getent hosts \"$n\" && echo \"resolved $n\"; done; true", "probe", .. names]);

            Assert.DoesNotContain("resolved", resolved, StringComparison.Ordinal);
        }
        finally
        {
            await Task.WhenAll(fixture.Backend.DeleteAsync(name), fixture.Backend.DeleteAsync(other));
        }
    }

    [Fact]
    public async Task Another_sessions_proxy_is_unreachable_by_its_addresses()
    {
        var name = fixture.NewName("xproxy");
        var other = fixture.NewName("xproxy-other");
        await Task.WhenAll(fixture.Backend.CreateAsync(fixture.Spec(name)), fixture.Backend.CreateAsync(fixture.Spec(other)));
        try
        {
            var proxy = await Podman.InspectAsync($"paude-{other}.proxy");
            var addresses = proxy.GetProperty("NetworkSettings").GetProperty("Networks").EnumerateObject()
                .Select(n => n.Value.GetProperty("IPAddress").GetString()).OfType<string>().Where(a => a.Length > 0).ToArray();
            Assert.NotEmpty(addresses);

            var reached = await fixture.Backend.CheckAsync(name, ["bash", "-c", $"PORT=3128; {ConnectProbe}", "probe", .. addresses]);

            Assert.Equal(string.Empty, reached.Trim());
        }
        finally
        {
            await Task.WhenAll(fixture.Backend.DeleteAsync(name), fixture.Backend.DeleteAsync(other));
        }
    }

    private static string[] HostAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus != OperationalStatus.Down && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            .Select(a => a.ToString())
            .Distinct()];
}
