using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>Source-generated log messages of the upgrade (event ids 6100-6119).</summary>
internal static partial class UpgradeLog
{
    [LoggerMessage(6100, LogLevel.Information, "Upgrading session {Session} to generation {Generation} (agent image {AgentImage}, proxy image {ProxyImage})")]
    public static partial void Upgrading(ILogger logger, string session, int generation, string agentImage, string proxyImage);

    [LoggerMessage(6101, LogLevel.Information, "Finishing the interrupted upgrade of session {Session} to generation {Generation}")]
    public static partial void FinishingUpgrade(ILogger logger, string session, int generation);

    [LoggerMessage(6102, LogLevel.Debug, "Upgrade of session {Session}: {Step} took {Milliseconds} ms")]
    public static partial void StepTook(ILogger logger, string session, string step, long milliseconds);
}
