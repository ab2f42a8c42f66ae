using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>
/// Where a Podman session's record lives once it was upgraded. Podman labels cannot change after a resource is made,
/// so the workspace volume keeps the record the session was created with; each upgrade writes its target record (and
/// the extra environment) as the labels of a new, empty volume <c>paude-&lt;s&gt;.upgrade-&lt;generation&gt;</c>. Creating
/// a volume is one atomic engine call, so the record is either there whole or not at all: that volume is the upgrade's
/// intent, recorded before any container is touched, and stays the session's record afterwards (the newest one wins;
/// older ones are removed once the upgrade that replaced them finished). It carries the session label, so delete and
/// listing see it like any other resource of the session.
/// </summary>
internal static class UpgradeRecords
{
    /// <summary>The role label of an upgrade record volume.</summary>
    public const string Role = "upgrade";

    public static string VolumeName(PodmanNames names, int generation) =>
        $"{names.Agent}.upgrade-{generation.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The labels holding the session's current record among its volumes (listed by its label): the newest upgrade
    /// record volume, else the workspace volume; <c>null</c> when neither is there.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Latest(PodmanNames names, IEnumerable<(string Name, IReadOnlyDictionary<string, string> Labels)> volumes)
    {
        var list = volumes.ToList();
        var upgrade = UpgradeVolumes(names, list).OrderByDescending(v => v.Generation).FirstOrDefault();
        return upgrade.Labels ?? list.FirstOrDefault(v => v.Name == names.Workspace).Labels;
    }

    /// <summary>The session's upgrade record volumes with their generations (only well-formed ones: name, role and record agree).</summary>
    public static IEnumerable<(string Name, int Generation, IReadOnlyDictionary<string, string> Labels)> UpgradeVolumes(
        PodmanNames names, IEnumerable<(string Name, IReadOnlyDictionary<string, string> Labels)> volumes)
    {
        foreach (var (name, labels) in volumes)
        {
            if (labels.TryGetValue(SessionLabelKeys.Role, out var role) && role == Role &&
                labels.TryGetValue(SessionLabelKeys.SessionName, out var session) && session == names.Session.Value &&
                SessionLabels.HasConfig(labels) && SessionLabels.ReadGeneration(labels) is var generation && generation > 0 &&
                name == VolumeName(names, generation))
            {
                yield return (name, generation, labels);
            }
        }
    }
}
