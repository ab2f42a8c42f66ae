namespace Paude.Testing.Kubernetes;

/// <summary>
/// A taint on the test server's one node (<see cref="KubernetesTestServerOptions.NodeTaints"/>), as
/// <c>kubectl taint nodes paude-test-node KEY[=VALUE]:EFFECT</c> would set it.
/// </summary>
/// <param name="Key">The taint's key.</param>
/// <param name="Value">Its value; <c>null</c> for none.</param>
/// <param name="Effect"><c>NoSchedule</c>, <c>PreferNoSchedule</c> (never refuses a pod) or <c>NoExecute</c>.</param>
public sealed record KubernetesNodeTaint(string Key, string? Value, string Effect);
