using System.Diagnostics;

namespace Paude.Tests.Infrastructure;

public static class Wait
{
    /// <summary>Polls until the condition holds; fails with the description (and last observation) after the timeout.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> observe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var watch = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        T last;
        while (true)
        {
            last = await observe();
            if (done(last))
            {
                return last;
            }

            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds}s waiting for {what}; last: {last}");
            }

            await Task.Delay(200);
        }
    }
}
