namespace Paude.Egress;

/// <summary>A request the session's egress proxy refused.</summary>
/// <param name="Time">When the proxy refused it.</param>
/// <param name="Method">HTTP method (<c>CONNECT</c> for HTTPS).</param>
/// <param name="Host">The host that was asked for.</param>
/// <param name="Url">The URL or <c>host:port</c> as the proxy logged it.</param>
public sealed record BlockedRequest(DateTimeOffset Time, string Method, string Host, string Url);
