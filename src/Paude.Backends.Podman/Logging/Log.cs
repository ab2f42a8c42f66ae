using Microsoft.Extensions.Logging;

namespace Paude.Backends.Podman.Logging;

/// <summary>Source-generated log messages. Never log environment values, credentials or command arguments.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Creating session '{Session}' on backend '{Backend}'")]
    public static partial void Creating(ILogger logger, string session, string backend);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Session '{Session}' is running ({ElapsedMs} ms)")]
    public static partial void Created(ILogger logger, string session, long elapsedMs);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Creating session '{Session}' failed; removing what was created")]
    public static partial void RollingBack(ILogger logger, string session, Exception exception);

    /// <summary>An expected, typed refusal (the name exists, an image is missing): the caller reports it; no stack trace.</summary>
    [LoggerMessage(EventId = 2017, Level = LogLevel.Debug, Message = "Creating session '{Session}' was refused; removing what this call created, if anything")]
    public static partial void CreateRefused(ILogger logger, string session, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Rollback of session '{Session}' could not remove '{Resource}': {Error}")]
    public static partial void RollbackFailed(ILogger logger, string session, string resource, string error);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Repairing the proxy of session '{Session}' (config volume present: {HasConfig})")]
    public static partial void RepairingProxy(ILogger logger, string session, bool hasConfig);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Stopped session '{Session}'")]
    public static partial void Stopped(ILogger logger, string session);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Deleted session '{Session}' (existed: {Existed})")]
    public static partial void Deleted(ILogger logger, string session, bool existed);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Egress allow-list of session '{Session}' set to {Count} entries (proxy running: {Running})")]
    public static partial void EgressSet(ILogger logger, string session, int count, bool running);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Delivered credentials {Sources} to session '{Session}'")]
    public static partial void CredentialsDelivered(ILogger logger, string session, string sources);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Re-creating the missing agent container of session '{Session}' from its workspace volume's labels")]
    public static partial void RecreatingAgent(ILogger logger, string session);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Debug, Message = "{What} raced with a removal (attempt {Attempt}); listing again")]
    public static partial void ListingRaced(ILogger logger, string what, int attempt);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning, Message = "The proxy bridge probe of session '{Session}' gave no answer within {Seconds} s; probing again")]
    public static partial void BridgeProbeRetried(ILogger logger, string session, int seconds);

    [LoggerMessage(EventId = 2018, Level = LogLevel.Warning, Message = "The host's state of deleted session '{Session}' could not be removed: {Reason}")]
    public static partial void StateNotRemoved(ILogger logger, string session, string reason);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "Pushing image '{Source}' to '{Destination}'")]
    public static partial void Pushing(ILogger logger, string source, string destination);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Information, Message = "Pushed '{Reference}' ({ElapsedMs} ms)")]
    public static partial void Pushed(ILogger logger, string reference, long elapsedMs);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning, Message = "Pushing to '{Registry}' without TLS verification (plain HTTP allowed): for a test or insecure registry only")]
    public static partial void PushWithoutTls(ILogger logger, string registry);
}
