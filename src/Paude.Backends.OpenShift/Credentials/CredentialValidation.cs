using Paude.Credentials;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>Checks a spec's credential source names against the registered packager (every problem, no side effects).</summary>
internal static class CredentialValidation
{
    public static IEnumerable<string> Errors(IReadOnlyList<string> requested, ICredentialPackager? packager)
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
