using Paude.Backends.OpenShift.Backend;
using Paude.Sessions;

namespace Paude.Backends.OpenShift;

/// <summary>Upgrade in place: the work is <see cref="OpenShiftUpgrader"/>'s.</summary>
internal sealed partial class OpenShiftBackend
{
    /// <inheritdoc />
    public Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken = default) =>
        new OpenShiftUpgrader(this, _api, new WorkspaceGrowth(_api), _options, _timeProvider, _logger).UpgradeAsync(name, upgrade, cancellationToken);
}
