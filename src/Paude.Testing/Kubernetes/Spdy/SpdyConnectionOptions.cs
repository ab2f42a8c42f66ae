namespace Paude.Testing.Kubernetes.Spdy;

/// <summary>Limits of one <see cref="SpdyConnection"/>; the defaults are the server's, tests shorten them.</summary>
internal sealed record SpdyConnectionOptions
{
    /// <summary>The kubelet's default <c>streamingConnectionIdleTimeout</c>.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(4);

    /// <summary>
    /// No frame either way for this long ends the connection (GOAWAY, then close), as spdystream's idle timer does for
    /// the kubelet; <see cref="Timeout.InfiniteTimeSpan"/> for never. kubectl pings every few seconds, which keeps it open.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>
    /// Unread bytes one stream may hold before the server resets it with FLOW_CONTROL_ERROR. A client that honours the
    /// window never holds more than <see cref="SpdyConnection.InitialWindow"/>; kubectl ignores windows (spdystream does
    /// no flow control), so this is the slack a reader slower than kubectl gets.
    /// </summary>
    public long StreamBufferLimit { get; init; } = 16 * 1024 * 1024;

    /// <summary>Unread bytes all streams of the connection may hold together; the stream whose DATA frame passes it is reset.</summary>
    public long SessionBufferLimit { get; init; } = 64 * 1024 * 1024;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
