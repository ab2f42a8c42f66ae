using System.Text;

namespace Paude.Sync.Transport;

/// <summary>Keeps the start of a session process's stderr for error messages, bounded (the session controls it).</summary>
internal static class StderrCapture
{
    private const int Limit = 16 * 1024;

    /// <summary>
    /// Reads <paramref name="stderr"/> to its end, appending the first 16 KiB to <paramref name="into"/> under its lock
    /// (readers take the same lock while the pump runs). Reading on past the limit keeps the process from blocking on a
    /// full pipe.
    /// </summary>
    public static async Task PumpAsync(Stream stderr, StringBuilder into)
    {
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stderr.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (into)
                {
                    if (into.Length < Limit)
                    {
                        into.Append(Encoding.UTF8.GetString(buffer, 0, n));
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process went away; what was read so far is kept.
        }
    }
}
