using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Paude.Credentials.Packaging;

/// <summary>
/// The three manifest files written at the end of the archive: JSON for tools and humans, and two line formats
/// the bash restore step can check with coreutils only (<c>sha256sum -c</c>, and <c>kind TAB mode TAB path TAB target</c>).
/// </summary>
internal static class ManifestFormat
{
    public static byte[] Sha256Lines(CredentialManifest manifest)
    {
        var text = new StringBuilder();
        foreach (var e in manifest.Entries.Where(e => e.Kind == CredentialEntryKind.File))
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.Sha256}  {e.Path}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static byte[] EntryLines(CredentialManifest manifest)
    {
        var text = new StringBuilder();
        foreach (var e in manifest.Entries)
        {
            var kind = e.Kind switch { CredentialEntryKind.File => 'f', CredentialEntryKind.Directory => 'd', _ => 'l' };
            text.Append(CultureInfo.InvariantCulture, $"{kind}\t{Octal(e.Mode)}\t{e.Path}\t{e.LinkTarget}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static byte[] Json(CredentialManifest manifest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartArray("sources");
            foreach (var source in manifest.Sources)
            {
                json.WriteStringValue(source);
            }

            json.WriteEndArray();
            json.WriteStartArray("entries");
            foreach (var e in manifest.Entries)
            {
                json.WriteStartObject();
                json.WriteString("path", e.Path);
                json.WriteString("kind", e.Kind.ToString().ToLowerInvariant());
                json.WriteNumber("size", e.Size);
                json.WriteString("mode", Octal(e.Mode));
                if (e.Sha256 is not null)
                {
                    json.WriteString("sha256", e.Sha256);
                }

                if (e.LinkTarget is not null)
                {
                    json.WriteString("target", e.LinkTarget);
                }

                json.WriteBoolean("secret", e.Secret);
                json.WriteString("source", e.Source);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8).PadLeft(3, '0');
}
