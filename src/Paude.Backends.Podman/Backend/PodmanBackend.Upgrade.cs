using Paude.Sessions;

namespace Paude.Backends.Podman.Backend;

/// <summary>Upgrade in place: the work is <see cref="PodmanUpgrader"/>'s.</summary>
internal sealed partial class PodmanBackend
{
    public Task<SessionInfo> UpgradeAsync(SessionName name, SessionUpgrade upgrade, CancellationToken cancellationToken = default) =>
        new PodmanUpgrader(this, _engine, _options, _logger).UpgradeAsync(name, upgrade, cancellationToken);
}
