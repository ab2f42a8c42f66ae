namespace Paude.Sessions;

// Shared source (src/Shared): see SessionRecord.
/// <summary>
/// The record an upgrade asks for, from the session's current one. A value equal to the current one keeps the current
/// instance, so an upgrade that asks for nothing new compares equal to the record (records compare lists by reference):
/// a rerun of a finished upgrade is recognised as such and does not start another generation.
/// </summary>
internal static class SessionUpgradeTarget
{
    public static SessionRecord Apply(SessionRecord record, SessionUpgrade upgrade)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(upgrade);
        var command = upgrade.ResolveAgentCommand();
        return record with
        {
            AgentImage = upgrade.AgentImage ?? record.AgentImage,
            ProxyImage = upgrade.ProxyImage ?? record.ProxyImage,
            Limits = upgrade.Limits ?? record.Limits,
            Egress = upgrade.Egress ?? record.Egress,
            AgentCommand = command is not null && !command.SequenceEqual(record.AgentCommand, StringComparer.Ordinal) ? [.. command] : record.AgentCommand,
            Cluster = Cluster(record.Cluster, upgrade),
        };
    }

    /// <summary>The cluster part after the upgrade: workspace size and placement, each the current instance when unchanged.</summary>
    private static SessionClusterSpec Cluster(SessionClusterSpec current, SessionUpgrade upgrade)
    {
        var cluster = current;
        if (upgrade.WorkspaceSizeBytes is { } size && size != current.WorkspaceSizeBytes)
        {
            cluster = cluster with { WorkspaceSizeBytes = size };
        }

        if (upgrade.NodeSelector is { } selector && !Same(selector, current.NodeSelector))
        {
            cluster = cluster with { NodeSelector = new Dictionary<string, string>(selector, StringComparer.Ordinal) };
        }

        if (upgrade.Tolerations is { } tolerations && !tolerations.SequenceEqual(current.Tolerations))
        {
            cluster = cluster with { Tolerations = [.. tolerations] };
        }

        return cluster;
    }

    /// <summary>The extra environment after the upgrade: its own when it sets one, else the current.</summary>
    public static IReadOnlyDictionary<string, string> Environment(IReadOnlyDictionary<string, string> current, SessionUpgrade upgrade) =>
        upgrade.Environment is { } wanted && !Same(wanted, current) ? new Dictionary<string, string>(wanted, StringComparer.Ordinal) : current;

    public static bool Same(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var value) && value == kv.Value);
}
