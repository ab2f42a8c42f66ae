using Paude.Egress;

namespace Paude.Tests.Egress;

public sealed class SquidDomainListTests
{
    [Theory]
    [InlineData(new[] { "x.org", ".x.org" }, new[] { ".x.org" })]
    [InlineData(new[] { "y.x.org", ".x.org" }, new[] { ".x.org" })]
    [InlineData(new[] { ".y.x.org", ".x.org" }, new[] { ".x.org" })]
    [InlineData(new[] { "x.org", "y.x.org" }, new[] { "x.org", "y.x.org" })]
    [InlineData(new[] { ".x.org", "ax.org" }, new[] { "ax.org", ".x.org" })]
    [InlineData(new[] { ".y.x.org", "x.org" }, new[] { "x.org", ".y.x.org" })]
    [InlineData(new[] { "B.example", "b.example" }, new[] { "b.example" })]
    public void DropsEntriesCoveredByAWildcard(string[] rules, string[] expected)
    {
        var (domains, regexes) = SquidDomainList.Split(rules);
        Assert.Equal(expected, domains);
        Assert.Empty(regexes);
    }

    [Fact]
    public void SeparatesRegexes()
    {
        var (domains, regexes) = SquidDomainList.Split(["~b$", "a.org", "~a$", "~b$"]);
        Assert.Equal(["a.org"], domains);
        Assert.Equal(["a$", "b$"], regexes);
    }
}
