namespace Paude.TestSupport;

/// <summary>
/// The system clock moved by a fixed offset: wall-clock readings show whose clock a component uses, while its timers
/// and delays still run in real time (a fake clock would stall every wait of a real backend).
/// </summary>
public sealed class ShiftedTimeProvider(TimeSpan offset) : TimeProvider
{
    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
}
