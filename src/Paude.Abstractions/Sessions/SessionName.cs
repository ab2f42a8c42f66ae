using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Paude.Sessions;

/// <summary>
/// A validated session name: a DNS-1123 label short enough that every name derived from it fits
/// (<c>paude-&lt;name&gt;</c>, pod <c>paude-&lt;name&gt;-0</c>, PVC <c>workspace-paude-&lt;name&gt;-0</c>,
/// <c>paude-proxy-&lt;name&gt;</c>, Kubernetes label values, ...).
/// </summary>
/// <remarks>
/// The longest derived Kubernetes name that must stay a 63-character DNS label is the StatefulSet's
/// controller-revision label <c>paude-&lt;name&gt;-&lt;10-char hash&gt;</c> and the proxy Service
/// <c>paude-proxy-&lt;name&gt;</c>; 40 characters leaves headroom for both.
/// </remarks>
public readonly record struct SessionName
{
    /// <summary>The maximum length of a session name.</summary>
    public const int MaxLength = 40;

    private readonly string? _value;

    private SessionName(string value) => _value = value;

    /// <summary>The name as a string.</summary>
    public string Value => _value ?? throw new InvalidOperationException("Default SessionName has no value.");

    /// <summary>Parses and validates <paramref name="value"/>.</summary>
    /// <exception cref="Errors.InvalidSessionNameException">The name is not allowed; the message says what is.</exception>
    public static SessionName Parse(string? value)
    {
        var problem = Validate(value);
        if (problem is not null)
        {
            throw new Errors.InvalidSessionNameException(value ?? string.Empty, problem);
        }

        return new SessionName(value!);
    }

    /// <summary>Tries to parse <paramref name="value"/> without throwing.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out SessionName? name)
    {
        name = Validate(value) is null ? new SessionName(value!) : null;
        return name is not null;
    }

    /// <summary>Returns why <paramref name="value"/> is not a valid session name, or <c>null</c> when it is.</summary>
    public static string? Validate(string? value)
    {
        const string Allowed = "a session name is 1-40 characters of lowercase letters a-z, digits 0-9 and '-', starting and ending with a letter or digit";
        if (string.IsNullOrEmpty(value))
        {
            return $"the name is empty: {Allowed}";
        }

        if (value.Length > MaxLength)
        {
            return $"the name is {value.Length} characters long: {Allowed}";
        }

        foreach (var c in value)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return $"the name contains '{c}': {Allowed}";
            }
        }

        if (value[0] == '-' || value[^1] == '-')
        {
            return $"the name starts or ends with '-': {Allowed}";
        }

        return null;
    }

    /// <summary>
    /// Derives a name from a workspace folder: its lowercased name with anything outside <c>[a-z0-9-]</c>
    /// turned into '-', cut to 20 characters, plus '-' and 6 random hex digits.
    /// </summary>
    public static SessionName Generate(string workspacePath)
    {
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspacePath)));
        var sb = new StringBuilder();
        foreach (var c in folder.ToLowerInvariant())
        {
            sb.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '-');
        }

        var stem = sb.ToString().Trim('-');
        if (stem.Length > 20)
        {
            stem = stem[..20].TrimEnd('-');
        }

        if (stem.Length == 0)
        {
            stem = "session";
        }

        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        return Parse($"{stem}-{suffix}");
    }

    /// <inheritdoc />
    public override string ToString() => _value ?? string.Empty;

    /// <summary>Converts the name to its string value.</summary>
    public static implicit operator string(SessionName name) => name.Value;
}
