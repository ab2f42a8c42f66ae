using System.Globalization;
using System.Net;

namespace Paude.TestSupport.StandInApi;

/// <summary>
/// A <see cref="MessagesApiStandIn"/> that containers on a Podman network reach by name: the stand-in listens on the
/// network's gateway address only (on the host, a free port); a forwarder container on the network answers as
/// <see cref="ApiHost"/> and <see cref="DeniedHost"/> on port 80 and relays each connection to it (busybox
/// <c>nc -ll -e</c>). A session's proxy on that network resolves the names through the network's DNS; the agent never
/// reaches the forwarder but through its proxy. Put <see cref="ApiHost"/> on the allow-list, never
/// <see cref="DeniedHost"/>. Containers are named <c>&lt;prefix&gt;-bridge</c> / <c>&lt;prefix&gt;-fwd</c>, labelled
/// as given, and removed on dispose.
/// </summary>
public sealed class NetworkedStandIn : IAsyncDisposable
{
    /// <summary>The name the stand-in answers to.</summary>
    public const string ApiHost = "api.paude.test";

    /// <summary>A second name of the same forwarder, for proving that a name not on the allow-list is refused.</summary>
    public const string DeniedHost = "denied.paude.test";

    private const string Image = "localhost/paude-base:ci";
    private readonly string _prefix;

    private NetworkedStandIn(string prefix, MessagesApiStandIn standIn)
    {
        _prefix = prefix;
        StandIn = standIn;
    }

    /// <summary>The stand-in (its request log).</summary>
    public MessagesApiStandIn StandIn { get; }

    /// <summary>Starts the stand-in and its forwarder on <paramref name="network"/>.</summary>
    public static async Task<NetworkedStandIn> StartAsync(string network, string prefix, string label, Func<RecordedRequest, ScriptedReply> script)
    {
        // The gateway address exists on the host only once the network's bridge is up, so a placeholder container
        // brings it up before the stand-in binds it (its port then goes into the forwarder's command line).
        await CheckAsync("run", "-d", "--name", $"{prefix}-bridge", "--label", label, "--network", network, Image, "sleep", "3600");
        var gateway = (await CheckAsync("network", "inspect", "--format", "{{range .Subnets}}{{.Gateway}}{{end}}", network)).Trim();
        var standIn = await MessagesApiStandIn.StartAsync(IPAddress.Parse(gateway), script);
        var result = new NetworkedStandIn(prefix, standIn);
        try
        {
            await CheckAsync(
                "run", "-d", "--name", $"{prefix}-fwd", "--label", label, "--network", network,
                "--network-alias", ApiHost, "--network-alias", DeniedHost,
                Image, "busybox", "nc", "-ll", "-p", "80", "-e", "busybox", "nc", gateway, standIn.Port.ToString(CultureInfo.InvariantCulture));
        }
        catch
        {
            await result.DisposeAsync();
            throw;
        }

        return result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Podman.RunAsync(["rm", "-f", "-t", "0", "--ignore", $"{_prefix}-fwd", $"{_prefix}-bridge"]);
        await StandIn.DisposeAsync();
    }

    private static async Task<string> CheckAsync(params string[] args)
    {
        var result = await Podman.RunAsync(args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"podman {string.Join(' ', args)} failed ({result.ExitCode}): {result.StandardError}");
        }

        return result.StandardOutput;
    }
}
