using Paude.Egress;
using Paude.Errors;

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

    [Theory]
    [InlineData("all")]
    [InlineData("default")]
    [InlineData(".paude.test")]
    [InlineData("~.*")]
    public void PrivateLoopbackAndLinkLocalDestinationsAreDeniedBeforeAnyAllow(string entry)
    {
        var lines = SquidConfig.Render(EgressPolicy.Parse([entry])).Split('\n');
        Assert.Contains("acl paude_never dst 127.0.0.0/8 0.0.0.0/8 169.254.0.0/16 ::1 fe80::/10", lines);
        Assert.Contains("acl paude_private dst 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7", lines);
        var denyPrivate = Array.IndexOf(lines, "http_access deny paude_private");
        var denyNever = Array.IndexOf(lines, "http_access deny paude_never");
        var firstAllow = Array.FindIndex(lines, l => l.StartsWith("http_access allow", StringComparison.Ordinal));
        Assert.InRange(denyNever, 0, denyPrivate);
        Assert.True(firstAllow < 0 || denyPrivate < firstAllow, "the private-range deny must come before every allow");
        Assert.DoesNotContain(lines, l => l.Contains("paude_named_hosts", StringComparison.Ordinal));
    }

    [Fact]
    public void OnlyExactlyNamedHostsMayBePrivate()
    {
        var lines = SquidConfig.Render(EgressPolicy.Parse(["db.internal", ".corp.test", "github"])).Split('\n');
        Assert.Contains("acl paude_named_hosts dstdomain -n db.internal", lines);
        Assert.Contains("http_access deny paude_private !paude_named_hosts", lines);
        Assert.DoesNotContain("http_access deny paude_private", lines);
    }

    [Fact]
    public void SelfCheckRefusesAConfigWithAnAclThePolicyDidNotAskFor()
    {
        var policy = EgressPolicy.Parse(["github"]);
        var config = SquidConfig.Render(policy);
        SquidConfigCheck.Verify(policy, config);
        var widened = config.Replace("acl CONNECT method CONNECT\n", "acl CONNECT method CONNECT\nacl paude_allowed_regex dstdom_regex -n -i .\n", StringComparison.Ordinal);
        var e = Assert.Throws<InvalidEgressPolicyException>(() => SquidConfigCheck.Verify(policy, widened));
        Assert.Contains(e.Errors, m => m.Contains("ACL lines", StringComparison.Ordinal));
        var continued = config.Replace("acl CONNECT method CONNECT\n", "acl CONNECT method CONNECT \\\n", StringComparison.Ordinal);
        Assert.Throws<InvalidEgressPolicyException>(() => SquidConfigCheck.Verify(policy, continued));
        var joined = config.Replace("acl CONNECT method CONNECT\n", "acl CONNECT method CONNECT\r", StringComparison.Ordinal);
        Assert.Throws<InvalidEgressPolicyException>(() => SquidConfigCheck.Verify(policy, joined));
    }

    [Fact]
    public void RenderRejectsNull() => Assert.Throws<ArgumentNullException>(() => SquidConfig.Render(null!));
}
