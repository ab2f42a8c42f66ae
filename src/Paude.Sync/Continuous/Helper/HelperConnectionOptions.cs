namespace Paude.Sync.Continuous.Helper;

/// <summary>Bounds of one helper connection.</summary>
internal sealed record HelperConnectionOptions
{
    /// <summary>Longest wait for the next frame of a request (and for the host's consumer of a reply); then the helper is abandoned.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most entries one listing may return.</summary>
    public int MaxEntries { get; init; } = 1_000_000;

    /// <summary>Watch events queued for a slow consumer before they are replaced by an overflow (list again).</summary>
    public int MaxQueuedEvents { get; init; } = 8192;

    /// <summary>Clock of the timeouts.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
