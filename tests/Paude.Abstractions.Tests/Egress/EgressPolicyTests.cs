using Paude.Egress;
using Paude.Errors;

namespace Paude.Tests.Egress;

public sealed class EgressPolicyTests
{
    [Fact]
    public void DefaultExpandsTheDefaultAliases()
    {
        var expected = DomainAliases.DefaultAliases.SelectMany(a => DomainAliases.All[a]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, EgressPolicy.Default.Domains);
        Assert.Equal(["default"], EgressPolicy.Default.Entries);
        Assert.False(EgressPolicy.Default.IsUnrestricted);
        Assert.Equal(EgressPolicy.Default, EgressPolicy.Parse(["vertexai", "python", "github", "claude"]));
    }

    [Fact]
    public void AliasesExpandAndEntriesAreKeptAsGiven()
    {
        var policy = EgressPolicy.Parse(["Claude, api.Example.com", "claude", ".corp.test"]);
        Assert.Equal(["claude", "api.example.com", ".corp.test"], policy.Entries);
        Assert.Equal([".anthropic.com", ".claude.ai", ".corp.test", "api.example.com"], policy.Domains);
        Assert.Equal("claude,api.example.com,.corp.test", policy.ToString());
    }

    [Fact]
    public void AllIsUnrestricted()
    {
        var policy = EgressPolicy.Parse(["github", "all"]);
        Assert.True(policy.IsUnrestricted);
        Assert.Empty(policy.Domains);
        Assert.True(policy.Allows("anything.example"));
        Assert.Equal("all", policy.ToString());
        Assert.Equal(EgressPolicy.Unrestricted, policy);
    }

    [Fact]
    public void EveryInvalidEntryIsReportedTogether()
    {
        var e = Assert.Throws<InvalidEgressPolicyException>(() =>
            EgressPolicy.Parse(["github", "bad host", "-lead.example", "~(", "under_score.example", "~", "a..b", "x.org."]));
        Assert.Equal(7, e.Errors.Count);
        Assert.Contains(e.Errors, m => m.StartsWith("'bad host'", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("'~('", StringComparison.Ordinal) && m.Contains("regular expression", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("'~'", StringComparison.Ordinal));
        Assert.Contains("bad host", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("~a\nhttp_access allow all")]
    [InlineData("~a b")]
    [InlineData("~a\"b")]
    [InlineData("~a#b")]
    [InlineData(@"~(?i)example\.com")]
    [InlineData(@"~api\d+\.example\.com")]
    [InlineData("~a.*?b")]
    [InlineData(@"~0\\")]
    [InlineData(@"~example\.com\\")]
    [InlineData("~a\rhttp_access allow all")]
    [InlineData("~a\tb")]
    [InlineData("~a\u00a0b")]
    [InlineData("~a\u2028b")]
    [InlineData("~caf\u00e9")]
    [InlineData("~${service_name}")]
    [InlineData("~-i")]
    [InlineData("~a'b")]
    [InlineData("~\"/etc/passwd\"")]
    public void RegexesThatWouldBreakOrMisleadTheProxyConfigAreRefused(string entry)
    {
        var e = Assert.Throws<InvalidEgressPolicyException>(() => EgressPolicy.Parse([entry]));
        Assert.Single(e.Errors);
    }

    [Fact]
    public void EveryInjectionAttemptIsReportedTogetherAndNothingIsParsed()
    {
        string[] hostile = [@"~0\\", "~a\nhttp_access allow all", "~x y", "~${process_name}", "host name", "a.b\\", "\"include\"", "#x", "x.org\u0000"];
        var e = Assert.Throws<InvalidEgressPolicyException>(() => EgressPolicy.Parse(["github", .. hostile]));
        Assert.Equal(hostile.Length, e.Errors.Count);
    }

    [Fact]
    public void OnlyExactHostsOfTheirOwnAreNamedHosts()
    {
        var policy = EgressPolicy.Parse(["github", "db.internal", ".corp.test", @"~^api\.x$", "10.1.2.3"]);
        Assert.Equal(["10.1.2.3", "db.internal"], policy.NamedHosts);
        Assert.Empty(EgressPolicy.Parse(["all", "db.internal"]).NamedHosts);
    }

    [Fact]
    public void TooLongHostIsRefused()
    {
        var label = new string('a', 63);
        Assert.Throws<InvalidEgressPolicyException>(() => EgressPolicy.Parse([new string('a', 64) + ".example"]));
        Assert.Throws<InvalidEgressPolicyException>(() => EgressPolicy.Parse([string.Join('.', Enumerable.Repeat(label, 5))]));
        Assert.Single(EgressPolicy.Parse([label + ".example"]).Domains);
    }

    [Theory]
    [InlineData("api.example.com", true)]
    [InlineData("API.Example.COM", true)]
    [InlineData("example.com", false)]
    [InlineData("x.api.example.com", false)]
    [InlineData("corp.test", true)]
    [InlineData("a.b.corp.test", true)]
    [InlineData("notcorp.test", false)]
    [InlineData("us-central1-aiplatform.googleapis.com", true)]
    [InlineData("aiplatform.googleapis.com.evil.test", false)]
    [InlineData("Api7.Regex.Test", true)]
    [InlineData("api.regex.test", false)]
    public void AllowsMatchesLikeTheProxy(string host, bool allowed)
    {
        var policy = EgressPolicy.Parse(["api.example.com", ".corp.test", @"~aiplatform\.googleapis\.com$", "~^API[0-9]+\\.regex\\.test$"]);
        Assert.Equal(allowed, policy.Allows(host));
    }

    [Fact]
    public void EmptyPolicyAllowsNothing()
    {
        var policy = EgressPolicy.Parse(["", " , "]);
        Assert.Empty(policy.Domains);
        Assert.False(policy.IsUnrestricted);
        Assert.False(policy.Allows("example.com"));
    }

    [Fact]
    public void EqualityIgnoresHowTheDomainsWereSpelled()
    {
        Assert.Equal(EgressPolicy.Parse(["pypi"]), EgressPolicy.Parse(["python"]));
        Assert.Equal(EgressPolicy.Parse(["pypi"]).GetHashCode(), EgressPolicy.Parse(["python"]).GetHashCode());
        Assert.NotEqual(EgressPolicy.Parse(["pypi"]), EgressPolicy.Parse(["github"]));
    }

    [Fact]
    public void NullArgumentsThrow()
    {
        Assert.Throws<ArgumentNullException>(() => EgressPolicy.Parse(null!));
        Assert.Throws<ArgumentNullException>(() => EgressPolicy.Default.Allows(null!));
    }
}
