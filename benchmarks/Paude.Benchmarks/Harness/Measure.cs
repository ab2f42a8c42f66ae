using System.Diagnostics;

namespace Paude.Benchmarks.Harness;

/// <summary>Timing helpers: alternate the two sides so drift hits both equally, report medians.</summary>
public static class Measure
{
    /// <summary>Runs <paramref name="sdk"/> and <paramref name="baseline"/> alternately and returns both samples in ms.</summary>
    public static async Task<(List<double> Sdk, List<double> Baseline)> AlternateAsync(
        int iterations, Func<int, Task> sdk, Func<int, Task> baseline, Func<int, Task>? between = null)
    {
        var a = new List<double>();
        var b = new List<double>();
        for (var i = 0; i < iterations; i++)
        {
            // Swap the order every iteration so neither side always runs first.
            var first = i % 2 == 0;
            for (var side = 0; side < 2; side++)
            {
                var runSdk = (side == 0) == first;
                var sw = Stopwatch.StartNew();
                await (runSdk ? sdk(i) : baseline(i));
                sw.Stop();
                (runSdk ? a : b).Add(sw.Elapsed.TotalMilliseconds);
                if (between is not null)
                {
                    await between(i);
                }
            }
        }

        return (a, b);
    }

    /// <summary>
    /// Runs every one of <paramref name="sides"/> once per iteration, the starting side rotating each iteration so that
    /// none always runs first (or right after a particular other). Each side measures itself and returns ms, so it can
    /// keep its set-up out of the timing; <paramref name="between"/> runs untimed after each side. Returns the samples
    /// of each side, in the order of <paramref name="sides"/>.
    /// </summary>
    public static async Task<List<double>[]> RotateAsync(
        int iterations, IReadOnlyList<Func<int, Task<double>>> sides, Func<int, Task>? between = null)
    {
        var samples = sides.Select(_ => new List<double>()).ToArray();
        for (var i = 0; i < iterations; i++)
        {
            for (var k = 0; k < sides.Count; k++)
            {
                var side = (i + k) % sides.Count;
                samples[side].Add(await sides[side](i));
                if (between is not null)
                {
                    await between(i);
                }
            }
        }

        return samples;
    }

    /// <summary>Runs <paramref name="action"/> and returns its wall-clock time in ms.</summary>
    public static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The median of <paramref name="samples"/>.</summary>
    public static double Median(IReadOnlyCollection<double> samples)
    {
        var s = samples.Order().ToArray();
        return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }
}
