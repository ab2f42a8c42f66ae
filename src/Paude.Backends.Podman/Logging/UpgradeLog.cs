using Microsoft.Extensions.Logging;

namespace Paude.Backends.Podman.Logging;

/// <summary>Source-generated log messages of the upgrade (event ids 2100–2199).</summary>
internal static partial class UpgradeLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Upgrading session '{Session}' to generation {Generation} (agent image {AgentImage}, proxy image {ProxyImage})")]
    public static partial void Upgrading(ILogger logger, string session, int generation, string agentImage, string proxyImage);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Session '{Session}' runs generation {Generation}")]
    public static partial void Upgraded(ILogger logger, string session, int generation);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Finishing the interrupted upgrade of session '{Session}' to generation {Generation}")]
    public static partial void FinishingPending(ILogger logger, string session, int generation);
}
