using Paude.Errors;

namespace Paude.Sessions;

// Shared source (src/Shared): see SessionSpecValidation.
/// <summary>
/// Every problem of an upgrade at once, before anything changes: the upgrade's own (the spec's rules) and what the
/// backend cannot do, found by the backend's own spec check run on the parts the upgrade sets.
/// </summary>
internal static class SessionUpgradeValidation
{
    public static void Validate(SessionUpgrade upgrade, Func<SessionSpec, IEnumerable<string>> backendSpecErrors)
    {
        ArgumentNullException.ThrowIfNull(upgrade);
        var probe = new SessionSpec
        {
            Name = SessionName.Parse("upgrade"),
            Limits = upgrade.Limits ?? SessionLimits.Default,
            WorkspaceSizeBytes = upgrade.WorkspaceSizeBytes,
            NodeSelector = upgrade.NodeSelector ?? new Dictionary<string, string>(),
            Tolerations = upgrade.Tolerations ?? [],
        };
        List<string> errors = [.. upgrade.GetErrors(), .. backendSpecErrors(probe)];
        if (errors.Count > 0)
        {
            throw new InvalidOptionsException("Invalid session upgrade", errors);
        }
    }
}
