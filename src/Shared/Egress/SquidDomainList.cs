namespace Paude.Egress;

/// <summary>
/// Turns policy domain rules into squid ACL values. Squid 5 treats <c>.x.org</c> as covering <c>x.org</c> and every
/// <c>y.x.org</c>, and refuses to start when one value of a <c>dstdomain</c> ACL covers another, so covered entries
/// are dropped here.
/// </summary>
internal static class SquidDomainList
{
    /// <summary>Splits rules into de-duplicated <c>dstdomain</c> values and <c>dstdom_regex</c> patterns, both sorted.</summary>
    public static (IReadOnlyList<string> Domains, IReadOnlyList<string> Regexes) Split(IEnumerable<string> rules)
    {
        var wildcards = new SortedSet<string>(StringComparer.Ordinal);
        var exact = new SortedSet<string>(StringComparer.Ordinal);
        var regexes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            if (rule.StartsWith('~'))
            {
                regexes.Add(rule[1..]);
            }
            else if (rule.StartsWith('.'))
            {
                wildcards.Add(rule.ToLowerInvariant());
            }
            else
            {
                exact.Add(rule.ToLowerInvariant());
            }
        }

        // A wildcard covered by a shorter one (.a.x.org under .x.org) goes first, then every exact host covered by
        // a remaining wildcard (x.org and y.x.org under .x.org).
        var keptWildcards = wildcards.Where(w => !wildcards.Any(other => other != w && Covers(other, w[1..]))).ToList();
        var keptExact = exact.Where(h => !keptWildcards.Any(w => Covers(w, h)));
        var domains = keptWildcards.Concat(keptExact).OrderBy(d => d.TrimStart('.'), StringComparer.Ordinal).ThenBy(d => d, StringComparer.Ordinal);
        return ([.. domains], [.. regexes]);
    }

    /// <summary>Whether wildcard <paramref name="wildcard"/> (<c>.x.org</c>) covers host <paramref name="host"/>.</summary>
    internal static bool Covers(string wildcard, string host) =>
        host == wildcard[1..] || host.EndsWith(wildcard, StringComparison.Ordinal);
}
