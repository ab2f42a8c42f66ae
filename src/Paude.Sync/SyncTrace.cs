namespace Paude.Sync;

internal static class SyncTrace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("PAUDE_SYNC_TRACE") == "1";
    private static readonly System.Diagnostics.Stopwatch Clock = System.Diagnostics.Stopwatch.StartNew();
    private static long s_last;

    public static void Mark(string what)
    {
        if (Enabled)
        {
            var now = Clock.Elapsed.TotalMilliseconds;
            var last = Interlocked.Exchange(ref s_last, (long)(now * 1000)) / 1000.0;
            Console.Error.WriteLine($"TRACE {now,9:F1} +{now - last,7:F1} {what}");
        }
    }
}
