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
/// ways); the third starts when one of them ends. Three at once (<c>maxParallelThreads: 3</c> in an xunit.runner.json;
/// the VSTest adapter passes the core count itself, so an assembly attribute is ignored) was measured and not taken:
/// 655 s vs 585 s with two (load 26 vs 18), 795 s vs 850 s side by side (load 24); the busy collections slow each
/// other down on two cores about as much as the third gains.
/// </summary>
[CollectionDefinition(Name)]
public sealed class KubeServerCollectionB : ICollectionFixture<KubeServerFixture>
{
    public const string Name = "kube-server-b";
}
