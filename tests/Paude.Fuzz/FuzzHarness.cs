using System.Diagnostics;

namespace Paude.Fuzz;

/// <summary>
/// The checks every target gets: inputs above <see cref="MaxInputBytes"/> are ignored (afl's own cap is 1 MiB; the
/// parsers' limits are tested elsewhere), and each input must finish within <see cref="MaxTime"/> and allocate at most
/// <see cref="MaxAllocatedBytes"/> — a parser that stalls or balloons on a small hostile input is a bug too.
/// </summary>
public static class FuzzHarness
{
    public const int MaxInputBytes = 1024 * 1024;

    /// <summary>Generous for an instrumented build on a busy 2-core machine; a real stall takes far longer.</summary>
    public static readonly TimeSpan MaxTime = TimeSpan.FromSeconds(5);

    public const long MaxAllocatedBytes = 256L * 1024 * 1024;

    public static void Run(IFuzzTarget target, byte[] input)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length > MaxInputBytes)
        {
            return;
        }

        var allocated = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        target.Run(input);
        clock.Stop();
        var used = GC.GetTotalAllocatedBytes() - allocated;
        InvariantViolationException.Check(clock.Elapsed <= MaxTime, $"{target.Name}: one input took {clock.Elapsed.TotalMilliseconds:F0} ms (limit {MaxTime.TotalMilliseconds} ms)");
        InvariantViolationException.Check(used <= MaxAllocatedBytes, $"{target.Name}: one input of {input.Length} bytes allocated {used} bytes (limit {MaxAllocatedBytes})");
    }
}
