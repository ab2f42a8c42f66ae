using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Paude.Egress;

namespace Paude.Tests.Egress;

/// <summary>
/// The proxy listening probe both backends run in the proxy container (<c>src/Shared/Egress/Scripts/proxy-listening-probe.sh</c>),
/// run directly with bash on the host (no container) against a loopback listener.
/// </summary>
public sealed class ProxyListeningProbeScriptTests
{
    [Fact]
    public async Task ListeningProbeExits0OnAListeningPortAnd1OnARefusedOne()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        string[] listening = [.. SquidConfig.ListeningProbe.Take(4), port];
        string[] refused = [.. SquidConfig.ListeningProbe.Take(4), ClosedPort().ToString(CultureInfo.InvariantCulture)];

        Assert.Equal(["bash", "-c"], SquidConfig.ListeningProbe.Take(2));
        Assert.Equal(0, (await ProcessRunner.RunAsync(listening[0], listening.Skip(1))).ExitCode);
        Assert.Equal(1, (await ProcessRunner.RunAsync(refused[0], refused.Skip(1))).ExitCode);
    }

    [Fact]
    public async Task ListeningProbeNeverRunsItsArgumentAsCode()
    {
        var temp = Directory.CreateTempSubdirectory("paude-probe-");
        try
        {
            var marker = Path.Combine(temp.FullName, "pwned");
            var hostile = $"1$(touch {marker})`touch {marker}`; touch {marker}";
            string[] probe = [.. SquidConfig.ListeningProbe.Take(3), "paude-probe", hostile];

            var listening = await ProcessRunner.RunAsync(probe[0], probe.Skip(1), stdin: null, workingDirectory: temp.FullName);

            Assert.NotEqual(0, listening.ExitCode);
            Assert.False(File.Exists(marker), "an argument was run as shell code");
        }
        finally
        {
            temp.Delete(recursive: true);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // stopped on dispose: connections are refused afterwards
    }
}
