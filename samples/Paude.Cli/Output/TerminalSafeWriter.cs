using System.Globalization;
using System.Text;

namespace Paude.Cli.Output;

/// <summary>
/// The text writer every line of paude's own output goes through (stdout and stderr, human and JSON): it shows
/// terminal control characters as <c>\u001b</c>-style escapes instead of passing them on. Much of what paude prints
/// comes from a session, which is hostile (commit subjects, paths from a session's git tree, error text naming
/// refused content, the proxy's log): an ESC sequence in a file name must not set the clipboard (OSC 52), retitle the
/// window, move the cursor to hide a warning, or a carriage return overwrite one. Escaped here, in one place, rather
/// than in each command. Kept: line feed and tab. Escaped: every other C0 and C1 control, DEL, and the Unicode
/// direction marks and overrides that reorder what a line shows. In JSON every such character can only stand
/// inside a string, where <c>\uXXXX</c> is the same character, so JSON output stays valid and means the same.
/// Not through here by design: <c>exec</c>/<c>connect</c>, which hand the session's own program output and terminal
/// to the user byte for byte (as ssh or podman exec do); the spinner's own control sequence (<see cref="WriteControl"/>).
/// </summary>
internal sealed class TerminalSafeWriter(TextWriter inner) : TextWriter(CultureInfo.InvariantCulture)
{
    public override Encoding Encoding => inner.Encoding;

    /// <summary>Whether <paramref name="c"/> is shown escaped.</summary>
    public static bool IsUnsafe(char c) =>
        (char.IsControl(c) && c is not '\n' and not '\t')
        || c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary><paramref name="text"/> with every unsafe character written as <c>\uXXXX</c>.</summary>
    public static string Escape(string text)
    {
        if (!text.Any(IsUnsafe))
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsUnsafe(c))
            {
                escaped.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>Writes a control sequence of paude's own (the spinner's line clear) as it is.</summary>
    public void WriteControl(string sequence) => inner.Write(sequence);

    public override void Write(char value)
    {
        if (IsUnsafe(value))
        {
            inner.Write(Escape(value.ToString()));
        }
        else
        {
            inner.Write(value);
        }
    }

    public override void Write(string? value)
    {
        if (value is not null)
        {
            inner.Write(Escape(value));
        }
    }

    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    public override void Write(ReadOnlySpan<char> buffer) => Write(buffer.ToString());

    public override void WriteLine() => inner.WriteLine();

    public override void WriteLine(string? value)
    {
        Write(value);
        inner.WriteLine();
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
