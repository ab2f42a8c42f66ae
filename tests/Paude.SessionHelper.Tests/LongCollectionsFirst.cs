using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Paude.SessionHelper.Tests.LongCollectionsFirst", "Paude.SessionHelper.Tests")]

namespace Paude.SessionHelper.Tests;

/// <summary>
/// Starts the two long collections (the soak's fixed minute, the Podman helper tests) before the short ones. xUnit 2's
/// default (conservative) scheduling runs as many collections at once as there are cores (2 here) in an order of its
/// own: when the soak came after the short ones it started only once they were done, and ran after most of the helper
/// tests instead of beside them. The others keep the order xUnit gives them.
/// </summary>
public sealed class LongCollectionsFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName switch
        {
            PodmanHelperSoakGroup.Name => 0,
            PodmanHelperGroup.Name => 1,
            _ => 2,
        });
}
