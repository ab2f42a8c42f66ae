using Paude.Egress;

namespace Paude.Tests.Images;

/// <summary>
/// A hermetic egress set-up on real Podman: an internal network (the session side), a user network with a busybox
/// httpd "outside" host (plain HTTP on 80 and 443) aliased <c>allowed.paude.test</c> and <c>denied.paude.test</c>, the proxy image running as
/// <c>1000680000:0</c> on both networks with a rendered config bind-mounted at /etc/paude-proxy, and a client
/// container on the internal network only.
/// </summary>
public sealed class ProxyEnvironment : IAsyncLifetime
{
    public const string ArbitraryUser = "1000680000:0";

    /// <summary>The label value of every resource this fixture creates.</summary>
    public string RunId { get; } = TestRun.Id + "-px";

    public string Internal => $"{RunId}-int";

    public string External => $"{RunId}-ext";

    public string Outside => $"{RunId}-outside";

    public string Client => $"{RunId}-client";

    public static string ProxyImage => TestImages.Proxy;

    private readonly List<string> _configDirs = [];

    public async Task InitializeAsync()
    {
        await TestImages.BuildAsync(ProxyImage, "proxy");
        await Podman.CheckAsync("network", "create", "--internal", "--label", Label, Internal);
        await Podman.CheckAsync("network", "create", "--label", Label, External);
        await Podman.CheckAsync(
            "run", "-d", "--name", Outside, "--label", Label, "--network", External,
            "--network-alias", "allowed.paude.test", "--network-alias", "denied.paude.test",
            TestImages.Base, "sh", "-c", "mkdir -p /www && echo outside-ok > /www/index.html && busybox httpd -p 443 -h /www && exec busybox httpd -f -p 80 -h /www");
        await Podman.CheckAsync(
            "run", "-d", "--init", "--name", Client, "--label", Label, "--network", Internal, "--user", ArbitraryUser,
            TestImages.Base, "sleep", "infinity");
    }

    public string Label => $"{TestRun.LabelKey}={RunId}";

    /// <summary>Starts a proxy container named <paramref name="name"/> with the config rendered from <paramref name="policy"/>.</summary>
    public async Task<ProxyUnderTest> StartProxyAsync(string name, EgressPolicy policy)
    {
        var dir = Directory.CreateTempSubdirectory($"{RunId}-cfg-").FullName;
        _configDirs.Add(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var proxy = new ProxyUnderTest(this, $"{RunId}-{name}", dir);
        await proxy.WriteConfigAsync(policy);
        await Podman.CheckAsync(
            "run", "-d", "--init", "--name", proxy.Name, "--label", Label, "--user", ArbitraryUser,
            "--network", Internal, "--network", External, "-v", $"{dir}:/etc/paude-proxy:ro", ProxyImage);
        var ready = await ImageWait.EventuallyAsync(
            async () => (await Podman.RunAsync(["exec", Client, "bash", "-c", $"exec 3<>/dev/tcp/{proxy.Name}/3128"], writeStdin: null, ImageWait.CommandBound)).ExitCode == 0,
            ImageWait.Patience);
        if (!ready)
        {
            var logs = await Podman.RunAsync(["logs", proxy.Name], writeStdin: null, ImageWait.CommandBound);
            throw new InvalidOperationException($"proxy {proxy.Name} did not listen on 3128: {logs.StandardOutput + logs.StandardError}");
        }

        return proxy;
    }

    /// <summary>Runs curl in the client container; returns (exit code, "http_code connect_code", body).</summary>
    public async Task<CurlResult> CurlAsync(string? proxy, string url)
    {
        List<string> args = ["exec", Client, "curl", "-sS", "--max-time", "10", "-o", "/tmp/body", "-w", "%{http_code} %{http_connect}"];
        if (proxy is not null)
        {
            args.AddRange(["-x", $"http://{proxy}:3128"]);
        }
        else
        {
            args.AddRange(["--noproxy", "*"]);
        }

        args.Add(url);
        var result = await Podman.RunAsync(args, writeStdin: null, ImageWait.CommandBound);
        var body = await Podman.RunAsync(["exec", Client, "bash", "-c", "cat /tmp/body 2>/dev/null; rm -f /tmp/body"], writeStdin: null, ImageWait.CommandBound);
        var codes = result.StandardOutput.Split(' ');
        return new CurlResult(result.ExitCode, codes[0], codes.Length > 1 ? codes[1] : "000", body.StandardOutput, result.StandardError);
    }

    public async Task DisposeAsync()
    {
        await Podman.RemoveLabelledAsync($"{TestRun.LabelKey}={RunId}");
        await TestImages.UntagAsync(ProxyImage);
        foreach (var dir in _configDirs)
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

public sealed record CurlResult(int ExitCode, string HttpCode, string ConnectCode, string Body, string StdErr);

/// <summary>One proxy container and its config directory.</summary>
public sealed class ProxyUnderTest(ProxyEnvironment environment, string name, string configDirectory)
{
    public string Name { get; } = name;

    public async Task WriteConfigAsync(EgressPolicy policy)
    {
        var path = Path.Combine(configDirectory, "squid.conf");
        await File.WriteAllTextAsync(path, SquidConfig.Render(policy));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    /// <summary>Rewrites the config and tells the running squid to reload it (the contract's reload command).</summary>
    public async Task ReconfigureAsync(EgressPolicy policy)
    {
        await WriteConfigAsync(policy);
        await Podman.CheckAsync("exec", Name, "squid", "-k", "reconfigure", "-f", SquidConfig.ConfigPath);
    }

    public Task<CurlResult> CurlAsync(string url) => environment.CurlAsync(Name, url);

    public async Task<List<BlockedRequest>> BlockedRequestsAsync()
    {
        var log = await Podman.CheckAsync("exec", Name, "cat", SquidConfig.AccessLogPath);
        return [.. SquidConfig.ParseBlockedRequests(new StringReader(log))];
    }
}
