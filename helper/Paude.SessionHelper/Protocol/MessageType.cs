namespace Paude.SessionHelper.Protocol;

/// <summary>Frame types (PROTOCOL.md): requests from the host are below 0x80, replies and events from the helper above.</summary>
internal enum MessageType : byte
{
    Hello = 0x01,
    List = 0x02,
    Read = 0x03,
    WriteBegin = 0x04,
    WriteChunk = 0x05,
    WriteEnd = 0x06,
    Delete = 0x07,
    Watch = 0x08,
    Git = 0x09,
    Mkdir = 0x0A,

    Error = 0x7F,
    HelloOk = 0x81,
    Entry = 0x82,
    ListEnd = 0x83,
    Data = 0x84,
    ReadEnd = 0x85,
    Ok = 0x86,
    Event = 0x87,
    Overflow = 0x88,
    GitEnd = 0x89,
    WatchStarted = 0x8A,
}

/// <summary>Error codes carried by an <see cref="MessageType.Error"/> frame (PROTOCOL.md, "Errors").</summary>
internal enum ErrorCode : ushort
{
    BadFrame = 1,
    UnsupportedVersion = 2,
    BadPath = 3,
    NotFound = 4,
    LinkRefused = 5,
    NotEmpty = 6,
    IsDirectory = 7,
    PreconditionFailed = 8,
    TooLarge = 9,
    IoError = 10,
    NotRegularFile = 11,
    WatchLimit = 12,
    UnknownMessage = 13,
    NotReady = 14,
    Exists = 15,
}

/// <summary>An operation failed in a way the host is told about with an error frame; the helper keeps running.</summary>
internal sealed class HelperException(ErrorCode code, string message) : Exception(message)
{
    public ErrorCode Code { get; } = code;
}
