using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Backend;

/// <summary>Source-generated log messages of the OpenShift backend (event ids 6000-6099). Never secret values.</summary>
internal static partial class Log
{
    [LoggerMessage(6000, LogLevel.Information, "Creating session {Session} in namespace {Namespace}")]
    public static partial void Creating(ILogger logger, string session, string @namespace);

    [LoggerMessage(6001, LogLevel.Information, "Session {Session} is {Status}")]
    public static partial void SessionState(ILogger logger, string session, string status);

    [LoggerMessage(6002, LogLevel.Warning, "Creating session {Session} failed; removing what was created")]
    public static partial void RollingBack(ILogger logger, Exception exception, string session);

    [LoggerMessage(6008, LogLevel.Information, "Session {Session} already exists ({What}); nothing of it was changed")]
    public static partial void AlreadyExists(ILogger logger, string session, string what);

    [LoggerMessage(6003, LogLevel.Warning, "Rolling back session {Session} left an error")]
    public static partial void RollbackFailed(ILogger logger, Exception exception, string session);

    [LoggerMessage(6004, LogLevel.Debug, "Watch of {What} ended ({Reason}); re-listing")]
    public static partial void WatchEnded(ILogger logger, string what, string reason);

    [LoggerMessage(6005, LogLevel.Information, "Deleted session {Session}")]
    public static partial void Deleted(ILogger logger, string session);

    [LoggerMessage(6006, LogLevel.Information, "Egress allow-list of session {Session} changed; proxy config {Hash}")]
    public static partial void EgressChanged(ILogger logger, string session, string hash);

    [LoggerMessage(6007, LogLevel.Information, "Delivered credentials ({Sources}) to session {Session}")]
    public static partial void CredentialsDelivered(ILogger logger, string session, string sources);

    [LoggerMessage(6010, LogLevel.Warning, "The host's state of deleted session {Session} could not be removed: {Reason}")]
    public static partial void StateNotRemoved(ILogger logger, string session, string reason);

    [LoggerMessage(6009, LogLevel.Debug, "Waited {Milliseconds} ms for the {What} ({Rounds} looks)")]
    public static partial void Waited(ILogger logger, string what, long milliseconds, int rounds);
}
