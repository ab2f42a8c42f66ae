using System.Globalization;
using System.Text;

namespace Paude.Egress;

/// <summary>
/// Reads the <c>paude</c> access-log format written by the rendered config
/// (<c>epoch.millis client status/code method host url</c>). The text comes out of a container, so it is parsed
/// defensively: bounded line length, strict field shapes, no exceptions on junk.
/// </summary>
internal static class SquidAccessLog
{
    /// <summary>Longer lines are skipped whole (squid truncates URLs well below this).</summary>
    internal const int MaxLineLength = 8192;

    private const long MaxUnixSeconds = 253_402_300_799; // 9999-12-31, DateTimeOffset's limit

    public static IEnumerable<BlockedRequest> ReadBlocked(TextReader reader)
    {
        foreach (var line in ReadBoundedLines(reader))
        {
            if (TryParseDenied(line) is { } blocked)
            {
                yield return blocked;
            }
        }
    }

    /// <summary>Parses one line; <c>null</c> when it is not a well-formed denied request.</summary>
    internal static BlockedRequest? TryParseDenied(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            return null;
        }

        var (time, status, method, host, url) = (fields[0], fields[2], fields[3], fields[4], fields[5]);
        var slash = status.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !status[..slash].Contains("DENIED", StringComparison.Ordinal))
        {
            return null;
        }

        if (!TryParseTime(time, out var when) || !IsMethod(method) || !IsHost(host) || url.Any(char.IsControl))
        {
            return null;
        }

        return new BlockedRequest(when, method, host.ToLowerInvariant(), url);
    }

    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        time = default;
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var secondsText = dot < 0 ? text : text[..dot];
        var millisText = dot < 0 ? "0" : text[(dot + 1)..];
        if (secondsText.Length is 0 or > 12 || millisText.Length is 0 or > 3 ||
            !secondsText.All(char.IsAsciiDigit) || !millisText.All(char.IsAsciiDigit))
        {
            return false;
        }

        var seconds = long.Parse(secondsText, NumberStyles.None, CultureInfo.InvariantCulture);
        if (seconds > MaxUnixSeconds)
        {
            return false;
        }

        var millis = int.Parse(millisText.PadRight(3, '0'), NumberStyles.None, CultureInfo.InvariantCulture);
        time = DateTimeOffset.FromUnixTimeMilliseconds((seconds * 1000) + millis);
        return true;
    }

    private static bool IsMethod(string method) =>
        method.Length is > 0 and <= 32 && method.All(c => char.IsAsciiLetterUpper(c) || c is '-' or '_');

    private static bool IsHost(string host) =>
        host.Length is > 0 and <= 255 && host != "-" &&
        host.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '[' or ']');

    /// <summary>Yields lines of at most <see cref="MaxLineLength"/> characters; longer ones are dropped whole.</summary>
    internal static IEnumerable<string> ReadBoundedLines(TextReader reader)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        var overlong = false;
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                var c = buffer[i];
                if (c == '\n')
                {
                    if (!overlong)
                    {
                        yield return line.ToString().TrimEnd('\r');
                    }

                    line.Clear();
                    overlong = false;
                }
                else if (!overlong)
                {
                    if (line.Length >= MaxLineLength)
                    {
                        overlong = true;
                        line.Clear();
                    }
                    else
                    {
                        line.Append(c);
                    }
                }
            }
        }

        if (!overlong && line.Length > 0)
        {
            yield return line.ToString().TrimEnd('\r');
        }
    }
}
