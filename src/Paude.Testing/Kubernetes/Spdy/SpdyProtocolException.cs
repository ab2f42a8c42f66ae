namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>The client broke the SPDY session (the server answers GOAWAY with PROTOCOL_ERROR and closes).</summary>
internal sealed class SpdyProtocolException(string message) : Exception(message);
