// Three collections run at once (maxParallelThreads in xunit.runner.json): two busy ones and the stalled-session one,
// which mostly waits. With xUnit's default of one per core (2 here) the third started only when a busy one had ended.
[assembly: TestCollectionOrderer("Paude.Tests.Infrastructure.SyncCollectionsFirst", "Paude.Sync.Tests")]

namespace Paude.Tests.Infrastructure;

/// <summary>Starts the three container collections (<see cref="SyncGroup"/>) before the short per-class ones.</summary>
public sealed class SyncCollectionsFirst() : CollectionsFirst(SyncStallGroup.Name, SyncGroup.Name, SyncGroupB.Name);
