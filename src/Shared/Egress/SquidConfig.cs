using System.Globalization;

namespace Paude.Egress;

// Shared source (src/Shared): compiled as an internal type into both backends, which run the paude-proxy image. The
// config format is that image's, not a contract: a backend of one's own enforces EgressPolicy however it likes.
/// <summary>
/// Renders the squid configuration of a session's egress proxy from its <see cref="EgressPolicy"/>, and reads the
/// proxy's access log back as <see cref="BlockedRequest"/>s. The output targets squid 5 as packaged by Debian and
/// the paths of the <c>paude-proxy</c> image.
/// </summary>
internal static class SquidConfig
{
    /// <summary>The port the proxy listens on.</summary>
    public const int Port = 3128;

    /// <summary>The directory the rendered config is mounted at in the proxy container.</summary>
    public const string ConfigDirectory = "/etc/paude-proxy";

    /// <summary>The path of the rendered config in the proxy container.</summary>
    public const string ConfigPath = ConfigDirectory + "/squid.conf";

    /// <summary>The access log in the proxy container, in the format <see cref="ParseBlockedRequests"/> reads.</summary>
    public const string AccessLogPath = "/var/log/paude-proxy/access.log";

    /// <summary>
    /// A fixed command, run inside the proxy container, that exits 0 once squid accepts connections on
    /// <see cref="Port"/> and 1 while it refuses them (bash's <c>/dev/tcp</c>: the image needs no curl). Both
    /// backends wait on it, because a running proxy container is not yet a listening proxy. The script and its protocol:
    /// <c>src/Shared/Egress/Scripts/proxy-listening-probe.sh</c>.
    /// </summary>
    public static readonly IReadOnlyList<string> ListeningProbe =
        ["bash", "-c", Paude.Scripting.SessionScript.Load("proxy-listening-probe.sh"), "paude-probe", Port.ToString(CultureInfo.InvariantCulture)];

    /// <summary>Destinations denied whatever the allow-list says.</summary>
    public const string NeverRanges = "127.0.0.0/8 0.0.0.0/8 169.254.0.0/16 ::1 fe80::/10";

    /// <summary>Destinations denied unless the request names a host the allow-list names exactly.</summary>
    public const string PrivateRanges = "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7";

    /// <summary>The name of the log format; a line is only trusted when it has exactly this shape.</summary>
    public const string LogFormatName = "paude";

    /// <summary>
    /// Returns the complete <c>squid.conf</c> for <paramref name="policy"/>: port 3128, no cache, only ports 80 and
    /// 443 (CONNECT only to 443), the allowed domains and regular expressions, everything else denied with a 403.
    /// </summary>
    public static string Render(EgressPolicy policy)
        => SquidConfigRenderer.Render(policy);

    /// <summary>
    /// Reads a proxy access log and returns the requests that were denied, oldest first. The log comes from a
    /// container and is untrusted: lines that do not have the expected shape, overlong lines and invalid values
    /// are skipped, never thrown on.
    /// </summary>
    public static IEnumerable<BlockedRequest> ParseBlockedRequests(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return SquidAccessLog.ReadBlocked(reader);
    }
}
