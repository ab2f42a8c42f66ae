using Paude.Conformance.Sync;
using Paude.Tests.Infrastructure;

namespace Paude.Tests;

/// <summary>The sync scenarios every backend shares, on real Podman sessions.</summary>
[Collection(SyncGroup.Name)]
public sealed class PodmanSyncConformanceTests(SyncFixture fixture) : SyncConformanceTests(fixture);
