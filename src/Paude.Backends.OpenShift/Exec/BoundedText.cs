using System.Text;

namespace Paude.Backends.OpenShift.Exec;

/// <summary>
/// Reads a process's stderr for an error message: to its end (a process blocked on a full pipe never exits) while
/// keeping only the first few KB (the bytes come from the session and may be endless).
/// </summary>
internal static class BoundedText
{
    private const int MaxBytes = 8 * 1024;

    public static async Task<string> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (kept.Length < MaxBytes)
            {
                kept.Write(buffer, 0, (int)Math.Min(n, MaxBytes - kept.Length));
            }
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length).Trim();
    }
}
