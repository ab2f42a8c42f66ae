using System.Text.RegularExpressions;
using Paude.Errors;

namespace Paude.Egress;

/// <summary>
/// A default-deny egress allow-list. Entries are alias names (see <see cref="DomainAliases"/>), <c>default</c>,
/// exact hosts (<c>api.example.com</c>), suffix wildcards (<c>.example.com</c> = the domain and its subdomains),
/// regular expressions (<c>~pattern</c>) or <c>all</c> (unrestricted; the proxy still runs). Immutable.
/// </summary>
public sealed class EgressPolicy : IEquatable<EgressPolicy>
{
    private EgressPolicy(IReadOnlyList<string> entries, IReadOnlyList<string> domains, IReadOnlyList<string> namedHosts, bool unrestricted)
    {
        Entries = entries;
        Domains = domains;
        NamedHosts = namedHosts;
        IsUnrestricted = unrestricted;
    }

    /// <summary>The default allow-list: the <c>default</c> alias set.</summary>
    public static EgressPolicy Default { get; } = Parse(["default"]);

    /// <summary>No restriction (requests still go through the proxy).</summary>
    public static EgressPolicy Unrestricted { get; } = Parse(["all"]);

    /// <summary>The entries as given (aliases not expanded), normalised to lowercase.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>The expanded, de-duplicated, sorted domain rules.</summary>
    public IReadOnlyList<string> Domains { get; }

    /// <summary>
    /// The exact hosts named by an entry of their own (not by an alias, a wildcard or a regex), sorted. The proxy
    /// lets only these reach private addresses: a user who names <c>db.internal</c> means that host, while a
    /// wildcard, a regex or <c>all</c> must not open the host's or the cluster's private networks to the agent.
    /// Every backend's egress enforcement needs this rule, whatever proxy it runs.
    /// </summary>
    public IReadOnlyList<string> NamedHosts { get; }

    /// <summary>Whether every destination is allowed.</summary>
    public bool IsUnrestricted { get; }

    /// <summary>Parses allow-list entries; every invalid entry is reported together.</summary>
    /// <exception cref="InvalidEgressPolicyException">Some entries are invalid.</exception>
    public static EgressPolicy Parse(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var given = new List<string>();
        var domains = new SortedSet<string>(StringComparer.Ordinal);
        var named = new SortedSet<string>(StringComparer.Ordinal);
        var errors = new List<string>();
        var unrestricted = false;
        foreach (var raw in entries)
        {
            foreach (var part in (raw ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var entry = part.StartsWith('~') ? part : part.ToLowerInvariant();
                if (!given.Contains(entry))
                {
                    given.Add(entry);
                }

                if (entry == "all")
                {
                    unrestricted = true;
                }
                else if (entry == "default")
                {
                    foreach (var alias in DomainAliases.DefaultAliases)
                    {
                        domains.UnionWith(DomainAliases.All[alias]);
                    }
                }
                else if (DomainAliases.All.TryGetValue(entry, out var aliasDomains))
                {
                    domains.UnionWith(aliasDomains);
                }
                else if (ValidateRule(entry) is { } problem)
                {
                    errors.Add($"'{part}': {problem}");
                }
                else
                {
                    domains.Add(entry);
                    if (!entry.StartsWith('.') && !entry.StartsWith('~'))
                    {
                        named.Add(entry);
                    }
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new InvalidEgressPolicyException(errors);
        }

        return new EgressPolicy(given, unrestricted ? [] : [.. domains], unrestricted ? [] : [.. named], unrestricted);
    }

    /// <summary>Whether <paramref name="host"/> is allowed by this policy.</summary>
    public bool Allows(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (IsUnrestricted)
        {
            return true;
        }

        host = host.ToLowerInvariant();
        foreach (var rule in Domains)
        {
            if (rule.StartsWith('~'))
            {
                // Case-insensitive like the proxy (dstdom_regex -i).
                if (Regex.IsMatch(host, rule[1..], RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)))
                {
                    return true;
                }
            }
            else if (rule.StartsWith('.'))
            {
                if (host == rule[1..] || host.EndsWith(rule, StringComparison.Ordinal))
                {
                    return true;
                }
            }
            else if (host == rule)
            {
                return true;
            }
        }

        return false;
    }

    private static string? ValidateRule(string entry)
    {
        if (entry.StartsWith('~'))
        {
            // The pattern becomes one value of a squid ACL line, so nothing squid's config parser treats specially may
            // appear: whitespace or a control character splits the value or starts a new line; a trailing backslash
            // joins the next config line onto this one (an allow-list could then widen itself); quotes start a
            // quoted value or an included file; '#' starts a comment; "${" is a squid macro; a leading '-' is read
            // as an ACL option. Hosts are ASCII, so a non-ASCII pattern can only be a mistake or a trick.
            if (entry.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '"' or '\'' or '#' || c > '\x7e'))
            {
                return "a regular expression must not contain whitespace, control characters, quotes, '#' or non-ASCII characters";
            }

            if (entry.EndsWith('\\'))
            {
                return "a regular expression must not end with a backslash (squid would join the next config line onto it)";
            }

            if (entry.Contains("${", StringComparison.Ordinal) || entry.StartsWith("~-", StringComparison.Ordinal))
            {
                return "a regular expression must not contain '${' (a squid macro) or start with '-' (an ACL option)";
            }

            if (entry.Contains("(?", StringComparison.Ordinal) || entry.Contains("\\d", StringComparison.Ordinal) ||
                entry.Contains("\\D", StringComparison.Ordinal) || entry.Contains("*?", StringComparison.Ordinal) ||
                entry.Contains("+?", StringComparison.Ordinal))
            {
                return "uses .NET-only regex syntax ((?...), \\d, lazy quantifiers); the proxy matches POSIX extended regexes";
            }

            try
            {
                _ = new Regex(entry[1..], RegexOptions.None, TimeSpan.FromSeconds(1));
                return entry.Length > 1 ? null : "an empty regular expression";
            }
            catch (ArgumentException e)
            {
                return $"not a valid regular expression ({e.Message})";
            }
        }

        var host = entry.StartsWith('.') ? entry[1..] : entry;
        if (host.Length is 0 or > 253)
        {
            return "not a host name, an alias, 'default' or 'all'";
        }

        foreach (var label in host.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-' ||
                !label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            {
                return $"not a host name, an alias ({string.Join(", ", DomainAliases.All.Keys)}), 'default' or 'all'";
            }
        }

        return null;
    }

    /// <inheritdoc />
    public bool Equals(EgressPolicy? other) =>
        other is not null && IsUnrestricted == other.IsUnrestricted && Domains.SequenceEqual(other.Domains, StringComparer.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EgressPolicy);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsUnrestricted, Domains.Count, Domains.Count > 0 ? Domains[0] : null);

    /// <inheritdoc />
    public override string ToString() => IsUnrestricted ? "all" : string.Join(",", Entries);
}
