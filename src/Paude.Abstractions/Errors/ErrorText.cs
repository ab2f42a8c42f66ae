using System.Globalization;
using System.Text;

namespace Paude.Errors;

/// <summary>
/// What an error message may show: much of it names what a hostile session sent (a file name, a commit subject, its
/// stderr), and a caller logs or prints the message. Terminal control characters are shown as <c>\uXXXX</c>: every
/// C0 and C1 control but line feed and tab (a carriage return only as part of a CR LF line break), DEL, and the
/// Unicode direction marks and overrides that reorder what a line shows. So an ESC sequence in a file name cannot
/// write the clipboard (OSC 52), retitle a window or move the cursor over a warning.
/// </summary>
internal static class ErrorText
{
    /// <summary><paramref name="text"/> with every unsafe character written as <c>\uXXXX</c>.</summary>
    public static string Escape(string text)
    {
        if (!HasUnsafe(text))
        {
            return text;
        }

        var shown = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text, i))
            {
                shown.Append(CultureInfo.InvariantCulture, $"\\u{(int)text[i]:x4}");
            }
            else
            {
                shown.Append(text[i]);
            }
        }

        return shown.ToString();
    }

    /// <summary>
    /// At most <paramref name="length"/> characters of <paramref name="text"/>, saying how long it was: a name a session
    /// sent can be megabytes long, and a message is read by a person (the whole value stays in the exception's property).
    /// </summary>
    public static string Shorten(string text, int length = 200) =>
        text.Length <= length ? text : string.Concat(text.AsSpan(0, length), $"... ({text.Length} characters)");

    private static bool HasUnsafe(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text, i))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsafe(string text, int i) => text[i] switch
    {
        '\n' or '\t' => false,
        '\r' => i + 1 >= text.Length || text[i + 1] != '\n',
        '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069') => true,
        var c => char.IsControl(c),
    };
}
