using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Paude.Conformance;
using Paude.Execution;
using Paude.Forwarding;

namespace Paude.Tests.Backend;

/// <summary>
/// A port forward gives the host exactly the one listener the user asked for (127.0.0.1, the local port): the
/// session's containers get no published port, the agent keeps <c>--network none</c>, and the session port is not
/// listening on the host. (Carrying traffic, cancellation and closed connections: the conformance suite.)
/// </summary>
public sealed class PortForwardSandboxTests(BackendFixture fixture) : IClassFixture<BackendFixture>
{
    [Fact]
    public async Task Forward_adds_only_the_asked_loopback_listener_and_no_port_to_the_sandbox()
    {
        var name = fixture.NewName("pfsand");
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await fixture.Backend.CreateAsync(fixture.Spec(name), cts.Token);
        try
        {
            var sessionPort = RandomNumberGenerator.GetInt32(30000, 40000);
            await fixture.Backend.CheckAsync(name, "sh", "-c", "mkdir -p /tmp/www && echo hello-forward > /tmp/www/index.html");
            await using var server = await fixture.Backend.StartProcessAsync(name, new ProcessSpec(["busybox", "httpd", "-f", "-p", $"127.0.0.1:{sessionPort}", "-h", "/tmp/www"]), cts.Token);
            await using var forward = await fixture.Backend.ForwardPortAsync(name, new PortForwardSpec(0, sessionPort), cts.Token);
            using var http = new HttpClient();
            var body = await Eventually.UntilAsync(
                async () =>
                {
                    try
                    {
                        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{forward.LocalEndPoint.Port}/"), cts.Token);
                    }
                    catch (HttpRequestException)
                    {
                        return "";
                    }
                },
                b => b == "hello-forward\n",
                "the page through the forward",
                TimeSpan.FromSeconds(30));
            Assert.Equal("hello-forward\n", body);

            // The host listens on the local port at 127.0.0.1 only, and nowhere on the session's port.
            var listeners = HostListeners();
            Assert.Equal([IPAddress.Loopback], listeners.Where(l => l.Port == forward.LocalEndPoint.Port).Select(l => l.Address).ToList());
            Assert.DoesNotContain(listeners, l => l.Port == sessionPort);

            foreach (var container in new[] { $"paude-{name}", $"paude-{name}.proxy" })
            {
                var inspect = await Podman.InspectAsync(container);
                var bindings = inspect.GetProperty("HostConfig").GetProperty("PortBindings");
                // An image's EXPOSE shows as "3128/tcp": null; a published port carries a host binding array.
                var published = bindings.ValueKind == System.Text.Json.JsonValueKind.Object
                    && bindings.EnumerateObject().Any(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Array && p.Value.GetArrayLength() > 0);
                Assert.False(published, $"{container} publishes {bindings}");
            }

            Assert.Equal("none", (await Podman.InspectAsync($"paude-{name}")).GetProperty("HostConfig").GetProperty("NetworkMode").GetString());
        }
        finally
        {
            await fixture.Backend.DeleteAsync(name, CancellationToken.None);
        }
    }

    /// <summary>Every listening TCP socket of the host's network namespace (this test process's), from /proc/net/tcp{,6}.</summary>
    private static List<IPEndPoint> HostListeners()
    {
        var result = new List<IPEndPoint>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A")
                {
                    continue; // not LISTEN
                }

                var parts = fields[1].Split(':');
                var raw = Convert.FromHexString(parts[0]);
                // The kernel prints each 32-bit word in host (little-endian) order.
                for (var i = 0; i < raw.Length; i += 4)
                {
                    Array.Reverse(raw, i, 4);
                }

                var address = new IPAddress(raw);
                result.Add(new IPEndPoint(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }
}
