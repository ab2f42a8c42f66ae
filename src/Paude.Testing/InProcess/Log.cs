using Microsoft.Extensions.Logging;

namespace Paude.Testing.InProcess;

/// <summary>Source-generated log messages of the in-process backend. Never log environment values or command arguments.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9101, Level = LogLevel.Information, Message = "Created in-process session '{Session}' in '{Folder}'")]
    public static partial void Created(ILogger logger, string session, string folder);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Information, Message = "Stopped in-process session '{Session}' ({Processes} processes ended)")]
    public static partial void Stopped(ILogger logger, string session, int processes);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Information, Message = "Deleted in-process session '{Session}'")]
    public static partial void Deleted(ILogger logger, string session);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Debug, Message = "Started '{Program}' in in-process session '{Session}'")]
    public static partial void ProcessStarted(ILogger logger, string session, string program);
}
