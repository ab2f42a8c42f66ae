namespace Paude.Backends.OpenShift.Tests.Infrastructure;

/// <summary>
/// The main collection: its tests run one after another on one server (they share sessions and inject server-wide
/// faults). Most tests of the assembly are here.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KubeServerCollection : ICollectionFixture<KubeServerFixture>
{
    public const string Name = "kube-server";
}

/// <summary>
/// A second collection with a server of its own, run alongside <see cref="KubeServerCollection"/>: the tests here spend
/// most of their time waiting (timeouts that are the point of the test, lease durations, pods recreated, injected
/// faults), so one serial line of every test left the machine idle for minutes. Its tests still run one after another.
/// xunit runs as many collections at once as the machine has cores (2 here): which two of the three server
/// collections (this, <see cref="KubeServerCollection"/>, conformance) start first varied between runs (measured both
/// ways); the third starts when one of them ends.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KubeServerCollectionB : ICollectionFixture<KubeServerFixture>
{
    public const string Name = "kube-server-b";
}
