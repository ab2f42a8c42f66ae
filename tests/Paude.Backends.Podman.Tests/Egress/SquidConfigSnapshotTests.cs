using Paude.Egress;
using Snapshooter.Xunit;

namespace Paude.Tests.Egress;

public sealed class SquidConfigSnapshotTests
{
    [Fact]
    public void DefaultPolicy() => Snapshot.Match(SquidConfig.Render(EgressPolicy.Default));

    [Fact]
    public void Unrestricted() => Snapshot.Match(SquidConfig.Render(EgressPolicy.Unrestricted));

    [Fact]
    public void EmptyPolicyDeniesEverything() => Snapshot.Match(SquidConfig.Render(EgressPolicy.Parse([])));

    [Fact]
    public void OverlappingWildcardsAndExactHosts() =>
        Snapshot.Match(SquidConfig.Render(EgressPolicy.Parse(["x.org", ".x.org", "y.x.org", ".a.x.org", "b.a.x.org", "other.net", ".pypi.org", "python"])));

    [Fact]
    public void RegexOnly() => Snapshot.Match(SquidConfig.Render(EgressPolicy.Parse([@"~^api[0-9]+\.example\.com$"])));

    [Fact]
    public void EveryAlias() => Snapshot.Match(SquidConfig.Render(EgressPolicy.Parse(DomainAliases.All.Keys)));
}
