using Paude.Errors;

namespace Paude.Egress;

/// <summary>
/// Checks a rendered <c>squid.conf</c> against the policy it was rendered from: no line may be continued onto the
/// next (trailing backslash), no control character may hide a line break, and the <c>acl</c> lines must be exactly
/// the ones the policy asks for. Validation of the entries already refuses everything that could break this; the
/// check makes a future gap in that validation fail loudly instead of widening a session's egress.
/// </summary>
internal static class SquidConfigCheck
{
    /// <summary>The ACLs every config declares, whatever the policy.</summary>
    private static readonly string[] FixedAcls =
    [
        "acl SSL_ports port 443",
        "acl Safe_ports port 80",
        "acl Safe_ports port 443",
        "acl CONNECT method CONNECT",
        "acl paude_never dst " + SquidConfig.NeverRanges,
        "acl paude_private dst " + SquidConfig.PrivateRanges,
    ];

    /// <exception cref="InvalidEgressPolicyException">The config does not say exactly what the policy says.</exception>
    public static void Verify(EgressPolicy policy, string config)
    {
        var problems = new List<string>();
        var lines = config.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.EndsWith('\\'))
            {
                problems.Add($"rendered line {i + 1} ends with a backslash (squid would join the next line onto it)");
            }

            if (line.Any(c => char.IsControl(c) || c > '\x7e'))
            {
                problems.Add($"rendered line {i + 1} contains a control or non-ASCII character");
            }
        }

        var expected = new List<string>(FixedAcls);
        var (domains, regexes) = SquidDomainList.Split(policy.Domains);
        expected.AddRange(policy.NamedHosts.Chunk(8).Select(c => "acl paude_named_hosts dstdomain -n " + string.Join(' ', c)));
        if (!policy.IsUnrestricted)
        {
            expected.AddRange(domains.Chunk(8).Select(c => "acl paude_allowed_domains dstdomain -n " + string.Join(' ', c)));
            expected.AddRange(regexes.Select(r => "acl paude_allowed_regex dstdom_regex -n -i " + r));
        }

        var actual = lines.Where(l => l.TrimStart().StartsWith("acl", StringComparison.OrdinalIgnoreCase)).ToList();
        if (!actual.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            problems.Add($"the rendered config declares {actual.Count} ACL lines, not exactly the {expected.Count} the allow-list asks for");
        }

        if (problems.Count > 0)
        {
            throw new InvalidEgressPolicyException(problems);
        }
    }
}
