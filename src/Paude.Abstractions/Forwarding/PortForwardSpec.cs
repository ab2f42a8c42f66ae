using System.Globalization;
using System.Net;
using Paude.Errors;

namespace Paude.Forwarding;

/// <summary>
/// A port forward: connections to <see cref="LocalPort"/> on <see cref="BindAddress"/> reach
/// <see cref="SessionPort"/> on the session's own loopback. Binds loopback only unless told otherwise.
/// </summary>
public sealed record PortForwardSpec
{
    /// <summary>Creates a spec forwarding <paramref name="localPort"/> (0 = any free port) to <paramref name="sessionPort"/>.</summary>
    public PortForwardSpec(int localPort, int sessionPort)
    {
        LocalPort = localPort;
        SessionPort = sessionPort;
    }

    /// <summary>The local port to listen on; 0 lets the system pick one (read it from <see cref="IPortForward.LocalEndPoint"/>).</summary>
    public int LocalPort { get; }

    /// <summary>The port inside the session (its loopback, <c>127.0.0.1</c>).</summary>
    public int SessionPort { get; }

    /// <summary>The local address to listen on; default <see cref="IPAddress.Loopback"/> (never reachable from other machines).</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Parses <c>L:R</c> (or <c>R</c>, meaning the same port locally) as the CLI takes it, listing every problem.</summary>
    /// <exception cref="InvalidPortForwardException">The text is not a valid forward.</exception>
    public static PortForwardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':');
        if (parts.Length is < 1 or > 2)
        {
            throw new InvalidPortForwardException([$"'{text}' is not LOCAL:SESSION or SESSION"]);
        }

        var errors = new List<string>();
        var local = ParsePort(parts[0], parts.Length == 2 ? "local port" : "port", allowZero: parts.Length == 2, errors);
        var session = parts.Length == 2 ? ParsePort(parts[1], "session port", allowZero: false, errors) : local;
        if (errors.Count > 0)
        {
            throw new InvalidPortForwardException(errors);
        }

        return new PortForwardSpec(local, session);
    }

    /// <summary>Returns every problem with this spec (empty when valid).</summary>
    public IReadOnlyList<string> GetErrors()
    {
        var errors = new List<string>();
        if (LocalPort is < 0 or > 65535)
        {
            errors.Add($"LocalPort: {LocalPort} is not between 0 and 65535");
        }

        if (SessionPort is < 1 or > 65535)
        {
            errors.Add($"SessionPort: {SessionPort} is not between 1 and 65535");
        }

        if (BindAddress is null)
        {
            errors.Add("BindAddress: is required");
        }

        return errors;
    }

    /// <summary>Throws <see cref="InvalidPortForwardException"/> listing every problem.</summary>
    public void Validate()
    {
        var errors = GetErrors();
        if (errors.Count > 0)
        {
            throw new InvalidPortForwardException(errors);
        }
    }

    private static int ParsePort(string text, string what, bool allowZero, List<string> errors)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535 && (port > 0 || allowZero))
        {
            return port;
        }

        errors.Add($"{what}: '{text}' is not a port number between {(allowZero ? 0 : 1)} and 65535");
        return 0;
    }
}
