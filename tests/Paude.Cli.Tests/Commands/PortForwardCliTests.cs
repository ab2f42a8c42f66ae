using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Paude.Cli.Tests.Infrastructure;

namespace Paude.Cli.Tests.Commands;

/// <summary><c>paude port-forward NAME L:R</c> as a real process against a real Podman session.</summary>
[Collection("podman")]
[SupportedOSPlatform("linux")]
public sealed partial class PortForwardCliTests(SharedSessionFixture shared)
{
    [Fact]
    public async Task Port_forward_serves_the_session_port_and_exits_0_on_SIGINT()
    {
        var port = RandomNumberGenerator.GetInt32(20000, 30000);
        // httpd daemonizes; its output must not hold the exec's stdout open.
        var serve = await PaudeCli.RunAsync("exec", shared.Name, "--", "sh", "-c", $"mkdir -p /tmp/pfcli && echo cli-forward > /tmp/pfcli/index.html && busybox httpd -p 127.0.0.1:{port} -h /tmp/pfcli </dev/null >/dev/null 2>&1");
        Assert.True(serve.ExitCode == 0, serve.ToString());

        var start = PaudeCli.StartInfo("port-forward", shared.Name, $"0:{port}");
        start.RedirectStandardOutput = start.RedirectStandardError = true;

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            Assert.NotNull(line);
            var match = ForwardingLine().Match(line);
            Assert.True(match.Success, line);
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), match.Groups["session"].Value);

            using var http = new HttpClient();
            Assert.Equal("cli-forward\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{match.Groups["local"].Value}/"), timeout.Token));

            TestRun.Interrupt(process.Id);
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await PaudeCli.RunAsync("exec", shared.Name, "--", "sh", "-c", $"kill $(pidof httpd) 2>/dev/null; true");
        }
    }

    [Fact]
    public async Task Port_forward_with_bad_ports_exits_2_naming_every_problem()
    {
        var run = await PaudeCli.RunAsync("port-forward", shared.Name, "70000:80", "8080:x", "--address", "nowhere", "-o", "json");

        Assert.Equal(2, run.ExitCode);
        var errors = run.ErrorJson().GetProperty("error").GetProperty("errors").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(
        [
            "--address: 'nowhere' is not an IP address",
            "local port: '70000' is not a port number between 0 and 65535",
            "session port: 'x' is not a port number between 1 and 65535",
        ], errors);
    }

    [GeneratedRegex(@"^Forwarding 127\.0\.0\.1:(?<local>\d+) -> \S+:(?<session>\d+)$")]
    private static partial Regex ForwardingLine();
}
