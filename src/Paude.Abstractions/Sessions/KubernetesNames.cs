namespace Paude.Sessions;

/// <summary>
/// Kubernetes' own name rules (apimachinery validation), so a spec a cluster would refuse is refused by
/// <see cref="SessionSpec.GetErrors"/> first, with every other problem, and nothing is created.
/// </summary>
internal static class KubernetesNames
{
    /// <summary>A DNS-1123 subdomain (Secret and StorageClass names): lower-case alphanumerics, '-' and '.', at most 253.</summary>
    public static bool IsSubdomain(string? value) =>
        value is { Length: > 0 and <= 253 } && value.Split('.').All(IsDnsLabelPart);

    /// <summary>A qualified name (label and taint keys): an optional DNS subdomain prefix and '/', then a name of at most 63.</summary>
    public static bool IsQualifiedName(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var name = slash < 0 ? value : value[(slash + 1)..];
        return (slash < 0 || IsSubdomain(value[..slash])) && name.Length is > 0 and <= 63 && IsNamePart(name);
    }

    /// <summary>A label value: empty, or at most 63 alphanumerics, '-', '_' and '.', starting and ending alphanumeric.</summary>
    public static bool IsLabelValue(string? value) => value is not null && (value.Length == 0 || (value.Length <= 63 && IsNamePart(value)));

    private static bool IsNamePart(string value) =>
        char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]) &&
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static bool IsDnsLabelPart(string value) =>
        value.Length is > 0 and <= 63 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') &&
        value[0] != '-' && value[^1] != '-';
}
