using Paude.Backends.OpenShift.Tests.Infrastructure;
using Paude.Conformance.Sync;

namespace Paude.Backends.OpenShift.Tests.Sync;

/// <summary>
/// The sync scenarios every backend shares, on OpenShift sessions: the engine only uses the session contract, so
/// they must hold unchanged over the exec WebSocket of the Kubernetes API.
/// </summary>
[Collection(KubeServerCollection.Name)]
public sealed class OpenShiftSyncConformanceTests(KubeServerFixture fixture) : SyncConformanceTests(new OpenShiftSyncSessions(fixture));
