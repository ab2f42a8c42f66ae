using Microsoft.Extensions.Logging;

namespace Paude.Backends.OpenShift.Credentials;

/// <summary>Log messages of credential delivery (event ids 6050-6059): source names and counts, never values.</summary>
internal static partial class CredentialLog
{
    [LoggerMessage(6050, LogLevel.Information, "Wrote credentials ({Sources}) of session {Session} as {Parts} Secret part(s)")]
    public static partial void SecretsWritten(ILogger logger, string session, string sources, int parts);

    [LoggerMessage(6051, LogLevel.Information, "Session {Session} now mounts {Parts} credential part(s); updated its pod template")]
    public static partial void TemplateUpdated(ILogger logger, string session, int parts);

    [LoggerMessage(6052, LogLevel.Warning, "Session {Session} has credentials ({Sources}) but no credential packager is registered; its existing Secrets are kept, not refreshed")]
    public static partial void NotRefreshed(ILogger logger, string session, string sources);

    [LoggerMessage(6053, LogLevel.Warning, "Agent pod {Pod} of session {Session} keeps failing; replacing it so it mounts the refreshed credentials")]
    public static partial void ReplacingPod(ILogger logger, string session, string pod);
}
