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
            try
            {
                last = await observe();
                if (done(last))
                {
                    return last;
                }
            }
            catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // Not created yet (controllers work asynchronously).
                last = default!;
            }

            if (watch.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds}s waiting for {what}; last: {last}");
            }

            await Task.Delay(200);
        }
    }
}
