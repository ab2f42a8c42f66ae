using Paude.Credentials;

namespace Paude.Sessions;

// Shared source (src/Shared): compiled as an internal type into both built-in backends, so a spec is refused for the
// same reasons, with the same words, on each.
/// <summary>Every problem of a spec at once (nothing is created when there is one): the spec's own and its credentials'.</summary>
internal static class SessionSpecValidation
{
    public static List<string> Errors(SessionSpec spec, ICredentialPackager? packager)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return [.. spec.GetErrors(), .. CredentialErrors(spec.Credentials, packager)];
    }

    /// <summary>The credential source names checked against the registered packager.</summary>
    public static IEnumerable<string> CredentialErrors(IReadOnlyList<string> requested, ICredentialPackager? packager)
    {
        if (requested.Count == 0)
        {
            yield break;
        }

        if (packager is null)
        {
            yield return "Credentials: no credential packager is registered (add Paude.Credentials to the services: AddPaudeCredentials())";
            yield break;
        }

        var known = packager.SourceNames;
        foreach (var source in requested.Where(s => !known.Contains(s)).Distinct(StringComparer.Ordinal))
        {
            yield return $"Credentials: unknown source '{source}' (known: {(known.Count == 0 ? "none" : string.Join(", ", known))})";
        }
    }
}
