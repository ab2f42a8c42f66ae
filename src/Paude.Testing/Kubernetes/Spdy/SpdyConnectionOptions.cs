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
    /// Unread bytes one stream may hold without slowing the connection. A client that honours the window never holds
    /// more than <see cref="SpdyConnection.InitialWindow"/>; kubectl ignores windows (spdystream does no flow control), so
    /// this is the slack a reader slower than kubectl gets before the frame loop waits for it.
    /// </summary>
    public long StreamBufferLimit { get; init; } = 16 * 1024 * 1024;

    /// <summary>Unread bytes all streams of the connection may hold together, likewise.</summary>
    public long SessionBufferLimit { get; init; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long the frame loop waits, past a limit, for a reader to take any byte; then the stream of the DATA frame
    /// is reset (FLOW_CONTROL_ERROR) and the other streams go on.
    /// </summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
