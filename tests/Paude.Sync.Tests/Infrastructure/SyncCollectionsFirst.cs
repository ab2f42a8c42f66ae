using Paude.Tests.Infrastructure;
using Xunit.Abstractions;

// Three collections run at once (maxParallelThreads in xunit.runner.json): two busy ones and the stalled-session one,
// which mostly waits. With xUnit's default of one per core (2 here) the third started only when a busy one had ended.
[assembly: TestCollectionOrderer("Paude.Tests.Infrastructure.SyncCollectionsFirst", "Paude.Sync.Tests")]

namespace Paude.Tests.Infrastructure;

/// <summary>
/// Starts the three container collections (<see cref="SyncGroup"/>) before the short per-class ones: xUnit 2's default
/// (conservative) scheduling starts a collection only when a slot is free, in an order of its own, so a long collection
/// that came last ran alone at the end. The others keep the order xUnit gives them.
/// </summary>
public sealed class SyncCollectionsFirst : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => c.DisplayName switch
        {
            SyncStallGroup.Name => 0,
            SyncGroup.Name => 1,
            SyncGroupB.Name => 2,
            _ => 3,
        });
}
