using Microsoft.Extensions.Logging;

namespace Paude.Credentials;

/// <summary>Source-generated log messages. They carry paths, names, counts and sizes — never file contents.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Packaged credentials from {Sources}: {Files} files, {Bytes} bytes, {Secrets} secret files")]
    public static partial void Packaged(ILogger logger, string sources, int files, long bytes, int secrets);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Symbolic link '{Link}' -> '{Target}' leads outside the credential tree and the allowed roots; left out")]
    public static partial void OutsideLinkSkipped(ILogger logger, string link, string target);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Debug, Message = "'{Path}' is not a regular file, folder or link; left out")]
    public static partial void SpecialFileSkipped(ILogger logger, string path);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Debug, Message = "Credential source '{Source}' found nothing on this host")]
    public static partial void SourceEmpty(ILogger logger, string source);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Plugin metadata '{Path}' is not valid JSON; packaged unchanged")]
    public static partial void MetadataNotJson(ILogger logger, string path);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Rewrote {Count} host path(s) in '{Path}' to the container home")]
    public static partial void MetadataRewritten(ILogger logger, string path, int count);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Debug, Message = "git identity not resolved ({Detail}); the git source contributes nothing")]
    public static partial void GitIdentityMissing(ILogger logger, string detail);
}
