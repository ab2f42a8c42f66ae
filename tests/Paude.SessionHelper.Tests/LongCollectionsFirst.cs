[assembly: TestCollectionOrderer("Paude.SessionHelper.Tests.LongCollectionsFirst", "Paude.SessionHelper.Tests")]

namespace Paude.SessionHelper.Tests;

/// <summary>
/// Starts the two long collections (the soak's fixed minute, the Podman helper tests) before the short ones: when the
/// soak came after the short ones it started only once they were done, and ran after most of the helper tests
/// instead of beside them.
/// </summary>
public sealed class LongCollectionsFirst() : CollectionsFirst(PodmanHelperSoakGroup.Name, PodmanHelperGroup.Name);
