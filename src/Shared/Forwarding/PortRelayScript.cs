namespace Paude.Forwarding;

/// <summary>
/// The relay that runs inside a session (or a test-server pod) for one forwarded connection: bash's <c>/dev/tcp</c>
/// connects, perl copies (<c>bash -c SCRIPT relay PORT</c>).
/// Protocol: stdin's bytes go to <c>127.0.0.1:PORT</c>, the port's bytes come out on stdout. When the port's
/// server closes, the relay exits at once (so the exec ends and the client sees the end); when stdin ends (the
/// client's half-close), the connection's sending side is shut (the server reads EOF) and the answer keeps flowing
/// until the server closes. A refused connection exits 1 with bash's complaint on stderr. socat is not used: it waits for both directions to end, and <c>podman exec</c>
/// passes a closed stdout on only when the process exits, so a client waiting for the server's close would hang.
/// The script and its protocol: <c>src/Shared/Forwarding/Scripts/port-relay.sh</c>.
/// </summary>
internal static class PortRelayScript
{
    /// <summary>The relay's text (<c>src/Shared/Forwarding/Scripts/port-relay.sh</c>).</summary>
    public static readonly string Script = Paude.Scripting.SessionScript.Load("port-relay.sh");

    /// <summary>The probe run once before a forward starts (<c>src/Shared/Forwarding/Scripts/relay-probe.sh</c>).</summary>
    public static readonly string Probe = Paude.Scripting.SessionScript.Load("relay-probe.sh");

    /// <summary>The argument vector relaying stdio to <paramref name="port"/> on the loopback.</summary>
    public static IReadOnlyList<string> Command(int port) =>
        ["bash", "-c", Script, "relay", port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
