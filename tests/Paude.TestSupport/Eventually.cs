using System.Diagnostics;

namespace Paude.TestSupport;

/// <summary>
/// Bounded polling for state that something else writes a moment later (a log line, a controller's status): the
/// poll interval is not an assertion, the bound is. Fails with what was awaited and the last observation.
/// </summary>
public static class Eventually
{
    /// <summary>Observes until <paramref name="done"/> holds and returns that observation; fails after <paramref name="bound"/> (60 s).</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> observe, Func<T, bool> done, string what, TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(60);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var last = await observe().ConfigureAwait(false);
            if (done(last))
            {
                return last;
            }

            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Not within {limit.TotalSeconds} s: {what}; last seen: {last}");
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }
}
