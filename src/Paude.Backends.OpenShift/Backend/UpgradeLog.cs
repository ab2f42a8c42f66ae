using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>Source-generated log messages of the upgrade (event ids 6100-6119).</summary>
internal static partial class UpgradeLog
{
    [LoggerMessage(6100, LogLevel.Information, "Upgrading session {Session} to generation {Generation} (agent image {AgentImage}, proxy image {ProxyImage})")]
    public static partial void Upgrading(ILogger logger, string session, int generation, string agentImage, string proxyImage);

    [LoggerMessage(6101, LogLevel.Information, "Finishing the interrupted upgrade of session {Session} to generation {Generation}")]
    public static partial void FinishingUpgrade(ILogger logger, string session, int generation);
}
