using Paude.Egress;

namespace Paude.Tests.Images;

/// <summary>The proxy image with rendered configs, for real: real squid, real networks, real HTTP.</summary>
public sealed class ProxyImageTests(ProxyEnvironment env) : IClassFixture<ProxyEnvironment>
{
    private static readonly EgressPolicy AllowedOnly = EgressPolicy.Parse(["allowed.paude.test"]);

    [Fact]
    public async Task AllowedHostIsReachableDeniedHostGets403AndIsLogged()
    {
        var proxy = await env.StartProxyAsync("verdicts", AllowedOnly);

        var allowed = await proxy.CurlAsync("http://allowed.paude.test/");
        Assert.Equal("200", allowed.HttpCode);
        Assert.Equal("outside-ok\n", allowed.Body);

        // CONNECT to an allowed host on 443 opens the tunnel (the TLS handshake then fails: the host speaks plain HTTP).
        var allowedTls = await proxy.CurlAsync("https://allowed.paude.test/");
        Assert.Equal("200", allowedTls.ConnectCode);

        var denied = await proxy.CurlAsync("http://denied.paude.test/secret?q=1");
        Assert.Equal("403", denied.HttpCode);
        Assert.Contains("Blocked by the Paude egress allow-list", denied.Body, StringComparison.Ordinal);
        Assert.Contains("denied.paude.test", denied.Body, StringComparison.Ordinal);

        var deniedTls = await proxy.CurlAsync("https://denied.paude.test/");
        Assert.Equal("403", deniedTls.ConnectCode);

        var outsideIp = await OutsideIpAsync();
        Assert.Equal("403", (await proxy.CurlAsync($"http://{outsideIp}/")).HttpCode);

        var wrongPort = await proxy.CurlAsync("http://allowed.paude.test:8080/");
        Assert.Equal("403", wrongPort.HttpCode);

        var blocked = await proxy.BlockedRequestsAsync();
        // squid strips query strings from logged URLs (strip_query_terms), so tokens in URLs never reach the log.
        Assert.Contains(blocked, b => b is { Method: "GET", Host: "denied.paude.test", Url: "http://denied.paude.test/secret?" });
        Assert.Contains(blocked, b => b is { Method: "CONNECT", Host: "denied.paude.test", Url: "denied.paude.test:443" });
        Assert.Contains(blocked, b => b is { Method: "GET", Host: "allowed.paude.test", Url: "http://allowed.paude.test:8080/" });
        Assert.DoesNotContain(blocked, b => b.Url == "http://allowed.paude.test/");
        Assert.All(blocked, b => Assert.InRange(b.Time, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(1)));
    }

    [Fact]
    public async Task SquidRunsAsTheArbitraryUidWithGroupZero()
    {
        var proxy = await env.StartProxyAsync("uid", AllowedOnly);
        var ids = await Podman.CheckAsync("exec", proxy.Name, "bash", "-c", "ps -o uid=,gid=,comm= -C squid");
        var lines = ids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"^1000680000\s+0\s+squid$", l));
    }

    [Fact]
    public async Task DirectConnectionsThatBypassTheProxyFail()
    {
        _ = await env.StartProxyAsync("bypass", AllowedOnly);
        var byName = await env.CurlAsync(proxy: null, "http://allowed.paude.test/");
        Assert.NotEqual(0, byName.ExitCode);
        Assert.Equal("000", byName.HttpCode);

        var outsideIp = await OutsideIpAsync();
        var byIp = await env.CurlAsync(proxy: null, $"http://{outsideIp}/");
        Assert.NotEqual(0, byIp.ExitCode);
        Assert.Equal("000", byIp.HttpCode);
    }

    private async Task<string> OutsideIpAsync()
    {
        var ip = (await Podman.CheckAsync("inspect", "--format", $"{{{{(index .NetworkSettings.Networks \"{env.External}\").IPAddress}}}}", env.Outside)).Trim();
        Assert.Matches(@"^\d+\.\d+\.\d+\.\d+$", ip);
        return ip;
    }

    [Fact]
    public async Task ReconfigureChangesTheVerdictWithoutARestart()
    {
        var proxy = await env.StartProxyAsync("reconf", AllowedOnly);
        var pidBefore = await Podman.CheckAsync("exec", proxy.Name, "cat", "/var/lib/paude-proxy/squid.pid");
        var startedBefore = await Podman.CheckAsync("inspect", "--format", "{{.State.StartedAt}}", proxy.Name);
        Assert.Equal("403", (await proxy.CurlAsync("http://denied.paude.test/")).HttpCode);

        // 'all' allows every host by name, then refuses it because it resolves to a private (the test network's)
        // address; naming the host exactly is what lets a private host through.
        await proxy.ReconfigureAsync(EgressPolicy.Parse(["all", "denied.paude.test"]));
        Assert.True(await ImageWait.EventuallyAsync(async () => (await proxy.CurlAsync("http://allowed.paude.test/")).Body.Contains("Blocked", StringComparison.Ordinal), ImageWait.Patience), "'all' did not deny a private host");
        Assert.Equal("403", (await proxy.CurlAsync("http://allowed.paude.test:8080/")).HttpCode);
        Assert.Equal("403", (await proxy.CurlAsync("http://169.254.169.254/latest/meta-data/")).HttpCode);
        Assert.Equal("403", (await proxy.CurlAsync("http://127.0.0.1:3128/squid-internal-mgr/info")).HttpCode);
        Assert.Equal("403", (await proxy.CurlAsync($"http://{proxy.Name}:3128/squid-internal-mgr/info")).HttpCode);

        await proxy.ReconfigureAsync(EgressPolicy.Parse(["denied.paude.test"]));
        Assert.True(await ImageWait.EventuallyAsync(async () => (await proxy.CurlAsync("http://allowed.paude.test/")).HttpCode == "403", ImageWait.Patience), "allowed.paude.test was not denied after reconfigure");
        Assert.Equal("200", (await proxy.CurlAsync("http://denied.paude.test/")).HttpCode);

        Assert.Equal(pidBefore, await Podman.CheckAsync("exec", proxy.Name, "cat", "/var/lib/paude-proxy/squid.pid"));
        Assert.Equal(startedBefore, await Podman.CheckAsync("inspect", "--format", "{{.State.StartedAt}}", proxy.Name));
    }

    [Fact]
    public async Task PrivateDestinationsAreDeniedUnlessTheHostIsNamedExactly()
    {
        // The outside host lives on a private Podman network: it stands for the host's and the cluster's networks.
        var outsideIp = await OutsideIpAsync();
        foreach (var policy in new[] { EgressPolicy.Unrestricted, EgressPolicy.Parse([".paude.test"]), EgressPolicy.Parse(["~paude"]) })
        {
            var proxy = await env.StartProxyAsync("private-" + Math.Abs(policy.ToString().GetHashCode(StringComparison.Ordinal)), policy);
            Assert.Equal("403", (await proxy.CurlAsync("http://allowed.paude.test/")).HttpCode);
            Assert.Equal("403", (await proxy.CurlAsync("https://allowed.paude.test/")).ConnectCode);
            Assert.Equal("403", (await proxy.CurlAsync($"http://{outsideIp}/")).HttpCode);
            Assert.Equal("403", (await proxy.CurlAsync("http://127.0.0.1:3128/")).HttpCode);
            Assert.Equal("403", (await proxy.CurlAsync("http://169.254.169.254/")).HttpCode);
        }

        var named = await env.StartProxyAsync("private-named", EgressPolicy.Parse(["allowed.paude.test", outsideIp]));
        Assert.Equal("200", (await named.CurlAsync("http://allowed.paude.test/")).HttpCode);
        Assert.Equal("200", (await named.CurlAsync($"http://{outsideIp}/")).HttpCode);
        Assert.Equal("403", (await named.CurlAsync("http://denied.paude.test/")).HttpCode);
    }

    [Fact]
    public async Task AccessLogIsRotatedWhenItPassesItsCap()
    {
        var proxy = await env.StartProxyAsync("rotate", AllowedOnly);
        // A log the size of the cap, as a flood of requests would leave it; the watcher rotates it.
        await Podman.CheckAsync("exec", proxy.Name, "bash", "-c", $"head -c 17000000 /dev/zero | tr '\\0' x >> {SquidConfig.AccessLogPath}");
        Assert.True(
            await ImageWait.EventuallyAsync(
                async () => (await Podman.RunAsync(["exec", proxy.Name, "bash", "-c", $"[ -s {SquidConfig.AccessLogPath}.0 ] && [ $(stat -c %s {SquidConfig.AccessLogPath}) -lt 16777216 ]"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0,
                ImageWait.Patience),
            "the access log was not rotated");
        Assert.Equal("403", (await proxy.CurlAsync("http://denied.paude.test/")).HttpCode);
        Assert.Contains(await proxy.BlockedRequestsAsync(), b => b.Host == "denied.paude.test");
    }

    [Fact]
    public async Task RestartedProxyComesBackDespiteItsOldPidFile()
    {
        var proxy = await env.StartProxyAsync("restart", AllowedOnly);
        await Podman.CheckAsync("stop", "-t", "5", proxy.Name);
        await Podman.CheckAsync("start", proxy.Name);
        Assert.True(await ImageWait.EventuallyAsync(async () => (await proxy.CurlAsync("http://allowed.paude.test/")).HttpCode == "200", ImageWait.Patience), "proxy did not serve after a restart");
    }

    [Fact]
    public async Task StopIsFast()
    {
        var proxy = await env.StartProxyAsync("stop", AllowedOnly);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Podman.CheckAsync("stop", "-t", "30", proxy.Name);
        // SIGTERM ends it at once (--init, shutdown_lifetime 0); a process that ignored it would take the full 30 s.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"stop took {watch.Elapsed}");
    }

    [Fact]
    public async Task MissingConfigFailsFastWithAClearMessage()
    {
        var result = await Podman.RunAsync(["run", "--rm", "--label", env.Label, "--user", ProxyEnvironment.ArbitraryUser, ProxyEnvironment.ProxyImage], writeStdin: null, ImageWait.CommandBound);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("/etc/paude-proxy/squid.conf", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("missing", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigThatSquidRejectsFailsFastWithSquidsReason()
    {
        var dir = Directory.CreateTempSubdirectory($"{env.RunId}-bad-");
        try
        {
            var path = Path.Combine(dir.FullName, "squid.conf");
            await File.WriteAllTextAsync(path, "http_port 3128\nacl broken dstdomain .x.org x.org\nhttp_access allow broken\n");
            File.SetUnixFileMode(dir.FullName, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
            var result = await Podman.RunAsync(["run", "--rm", "--label", env.Label, "--user", ProxyEnvironment.ArbitraryUser, "-v", $"{dir.FullName}:/etc/paude-proxy:ro", ProxyEnvironment.ProxyImage], writeStdin: null, ImageWait.CommandBound);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("squid rejected", result.StandardError, StringComparison.Ordinal);
            Assert.Contains("FATAL", result.StandardError, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ImageDefaultUserIsNotRoot()
    {
        var user = (await Podman.CheckAsync("image", "inspect", "--format", "{{.Config.User}}", ProxyEnvironment.ProxyImage)).Trim();
        Assert.Equal("1001:0", user);
    }

    [Fact]
    public async Task EveryRenderedConfigIsAcceptedBySquid()
    {
        var policies = new Dictionary<string, EgressPolicy>
        {
            ["default"] = EgressPolicy.Default,
            ["all"] = EgressPolicy.Unrestricted,
            ["empty"] = EgressPolicy.Parse([]),
            ["aliases"] = EgressPolicy.Parse(DomainAliases.All.Keys),
            ["overlap"] = EgressPolicy.Parse(["x.org", ".x.org", "y.x.org", ".a.x.org", "b.a.x.org", "codex", "openai"]),
            ["regex"] = EgressPolicy.Parse([@"~^api[0-9]+\.example\.com$", "~[.]internal$"]),
        };
        var dir = Directory.CreateTempSubdirectory($"{env.RunId}-parse-");
        try
        {
            foreach (var (name, policy) in policies)
            {
                await File.WriteAllTextAsync(Path.Combine(dir.FullName, name + ".conf"), SquidConfig.Render(policy));
            }

            // Negative control: the overlap that de-duplication removes really is fatal to squid.
            await File.WriteAllTextAsync(
                Path.Combine(dir.FullName, "raw-overlap.bad"),
                SquidConfig.Render(EgressPolicy.Parse(["other.org"])).Replace("dstdomain -n other.org", "dstdomain -n .x.org x.org", StringComparison.Ordinal));
            foreach (var f in dir.GetFiles())
            {
                f.UnixFileMode |= UnixFileMode.OtherRead;
            }

            File.SetUnixFileMode(dir.FullName, (UnixFileMode)0b111_101_101);
            var result = await Podman.RunAsync(
            [
                "run", "--rm", "--label", env.Label, "--user", ProxyEnvironment.ArbitraryUser, "-v", $"{dir.FullName}:/cfg:ro",
                "--entrypoint", "bash", ProxyEnvironment.ProxyImage, "-c",
                "for f in /cfg/*; do echo \"== $f\"; squid -k parse -f \"$f\" 2>&1 | grep -E 'WARNING|ERROR|FATAL'; echo \"rc=${PIPESTATUS[0]}\"; done",
            ], writeStdin: null, ImageWait.CommandBound);
            Assert.Equal(0, result.ExitCode);
            var sections = result.StandardOutput.Split("== /cfg/", StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(s => s[..s.IndexOf('\n', StringComparison.Ordinal)], s => s[(s.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
            Assert.True(policies.Count + 1 == sections.Count, result.StandardOutput + result.StandardError);
            foreach (var name in policies.Keys)
            {
                var output = sections[name + ".conf"];
                Assert.EndsWith("rc=0\n", output, StringComparison.Ordinal);
                // 'via off' is asked for by the spec; squid warns that HTTP wants Via. Nothing else may warn.
                var problems = output.Split('\n').Where(l => l.Contains("WARNING", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("FATAL", StringComparison.Ordinal))
                    .Where(l => !l.Contains("HTTP requires the use of Via", StringComparison.Ordinal));
                Assert.Empty(problems);
            }

            Assert.Contains("FATAL", sections["raw-overlap.bad"], StringComparison.Ordinal);
            Assert.DoesNotContain("rc=0", sections["raw-overlap.bad"], StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
