namespace Paude.Forwarding;

/// <summary>
/// The relay that runs inside a session (or a test-server pod) for one forwarded connection, with bash's
/// <c>/dev/tcp</c>: <c>bash -c SCRIPT relay PORT</c>.
/// Protocol: stdin's bytes go to <c>127.0.0.1:PORT</c>, the port's bytes come out on stdout. When the port's
/// server closes, the relay exits at once (so the exec ends and the client sees the end); when stdin ends (the
/// client stopped sending), the answer keeps flowing until the server closes. A refused connection exits 1 with
/// bash's complaint on stderr. socat is not used: it waits for both directions to end, and <c>podman exec</c>
/// passes a closed stdout on only when the process exits, so a client waiting for the server's close would hang.
/// </summary>
internal static class PortRelayScript
{
    // fd 4 keeps the real stdin: a background job of a non-interactive shell gets /dev/null as its stdin.
    public const string Script =
        "exec 3<>\"/dev/tcp/127.0.0.1/$1\" || exit 1; exec 4<&0; cat <&4 >&3 & cat <&3; kill $! 2>/dev/null; exit 0";

    /// <summary>The argument vector relaying stdio to <paramref name="port"/> on the loopback.</summary>
    public static IReadOnlyList<string> Command(int port) =>
        ["bash", "-c", Script, "relay", port.ToString(System.Globalization.CultureInfo.InvariantCulture)];
}
