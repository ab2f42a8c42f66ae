using Paude.Egress;

namespace Paude.Tests.Egress;

public sealed class SquidConfigTests
{
    private static string[] AclValues(string config, string aclLinePrefix) =>
        [.. config.Split('\n').Where(l => l.StartsWith(aclLinePrefix, StringComparison.Ordinal)).SelectMany(l => l[aclLinePrefix.Length..].Split(' '))];

    [Fact]
    public void NoDstdomainValueCoversAnother()
    {
        var config = SquidConfig.Render(EgressPolicy.Parse([.. DomainAliases.All.Keys, "x.org", ".x.org", "deep.y.x.org", ".y.x.org", "codex"]));
        var values = AclValues(config, "acl paude_allowed_domains dstdomain -n ");
        Assert.Equal(values.Length, values.Distinct(StringComparer.Ordinal).Count());
        foreach (var wildcard in values.Where(v => v.StartsWith('.')))
        {
            var covered = values.Where(v => v != wildcard && (v.TrimStart('.') == wildcard[1..] || v.EndsWith(wildcard, StringComparison.Ordinal)));
            Assert.Empty(covered);
        }

        Assert.Contains(".x.org", values);
        Assert.Contains(".chatgpt.com", values);
        Assert.DoesNotContain("chatgpt.com", values);
    }

    [Fact]
    public void RegexRulesGetTheirOwnAclAndNoDomainAcl()
    {
        var config = SquidConfig.Render(EgressPolicy.Parse(["vertexai"]));
        Assert.Equal([@"aiplatform\.googleapis\.com$"], AclValues(config, "acl paude_allowed_regex dstdom_regex -n -i "));
        Assert.DoesNotContain(AclValues(config, "acl paude_allowed_domains dstdomain -n "), v => v.StartsWith('~'));
    }

    [Fact]
    public void AclsAreDeclaredBeforeTheyAreUsed()
    {
        var lines = SquidConfig.Render(EgressPolicy.Default).Split('\n');
        int Index(string prefix) => Array.FindIndex(lines, l => l.StartsWith(prefix, StringComparison.Ordinal));
        Assert.True(Index("acl paude_allowed_domains") < Index("http_access allow paude_allowed_domains"));
        Assert.True(Index("acl paude_allowed_regex") < Index("http_access allow paude_allowed_regex"));
        Assert.True(Index("http_access allow paude_allowed_regex") < Index("http_access deny all"));
        Assert.True(Index("logformat paude") < Index("access_log"));
        Assert.Equal("http_access deny all", lines.Last(l => l.StartsWith("http_access", StringComparison.Ordinal)));
    }

    [Fact]
    public void UnrestrictedAllowsAllButKeepsPortRules()
    {
        var config = SquidConfig.Render(EgressPolicy.Unrestricted);
        Assert.Contains("http_access allow all\n", config, StringComparison.Ordinal);
        Assert.Contains("http_access deny CONNECT !SSL_ports\n", config, StringComparison.Ordinal);
        Assert.DoesNotContain("paude_allowed_domains", config, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyPolicyHasNoEmptyAcl()
    {
        var config = SquidConfig.Render(EgressPolicy.Parse([]));
        Assert.DoesNotContain("http_access allow", config, StringComparison.Ordinal);
        Assert.DoesNotContain("acl paude_allowed", config, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderRejectsNull() => Assert.Throws<ArgumentNullException>(() => SquidConfig.Render(null!));
}
