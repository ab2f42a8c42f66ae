using System.Reflection;
using System.Text;

namespace Paude.Scripting;

// Shared source (src/Shared): compiled as an internal type into each package that runs scripts in a session. Each
// copy reads the resources of its own assembly, so a package only ever loads the scripts it embeds itself.
/// <summary>
/// Loads a script that runs in a session (or a pod) from the <c>.sh</c> file embedded next to the C# that runs it
/// (<c>&lt;EmbeddedResource Include="**/*.sh" LogicalName="paude-scripts/%(Filename)%(Extension)" /&gt;</c>).
/// </summary>
/// <remarks>
/// The file's leading comment block (shebang, protocol header, shellcheck directives) and the blank lines after it are
/// documentation for readers and shellcheck; they are not sent into the session, so the text that runs is exactly the
/// script's body. Values never go into the text: the caller passes them as arguments (<c>bash -c SCRIPT NAME ARG...</c>).
/// </remarks>
internal static class SessionScript
{
    private const string Prefix = "paude-scripts/";

    /// <summary>The body of the embedded script <paramref name="fileName"/> (for example <c>list-files.sh</c>).</summary>
    /// <exception cref="InvalidOperationException">The assembly does not embed the script (a build error, not a user error).</exception>
    public static string Load(string fileName)
    {
        using var stream = typeof(SessionScript).Assembly.GetManifestResourceStream(Prefix + fileName)
            ?? throw new InvalidOperationException($"The script '{fileName}' is not embedded in {typeof(SessionScript).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        return Body(reader.ReadToEnd());
    }

    /// <summary>The text after the leading comment block and the blank lines that follow it.</summary>
    public static string Body(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = 0;
        while (start < text.Length && (text[start] == '#' || text[start] == '\n'))
        {
            var end = text.IndexOf('\n', start);
            start = end < 0 ? text.Length : end + 1;
        }

        return text[start..];
    }
}
