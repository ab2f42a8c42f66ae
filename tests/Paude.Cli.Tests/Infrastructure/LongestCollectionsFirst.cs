[assembly: TestCollectionOrderer("Paude.Cli.Tests.LongestCollectionsFirst", "Paude.Cli.Tests")]

namespace Paude.Cli.Tests;

/// <summary>
/// Starts the long collections first (measured in a CI run: podman 156 s, openshift 118 s, the public-api script
/// 59 s, the cluster smoke script 37 s, the rest ~10 s or less each): the public-api script test (it builds a package
/// four times) came last and ran alone for the last 58 of the assembly's 249 s. It starts beside podman now,
/// openshift after it: its builds vary most with load (59 s in CI, 204 s at load 32 when it started after both long
/// collections), so it goes first; the short collections fill the gaps at the end.
/// </summary>
public sealed class LongestCollectionsFirst() : CollectionsFirst(nameof(PublicApiScriptTests), "podman", "openshift", nameof(ClusterSmokeScriptTests));
