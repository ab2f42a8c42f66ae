namespace Paude.Sync.Continuous.Helper;

/// <summary>
/// The host's copy of the session helper's wire constants (helper/Paude.SessionHelper/PROTOCOL.md). Kept apart from
/// the helper's own code on purpose: the helper is not a dependency of the shipped packages, and the host's reader
/// must treat every number the helper sends as untrusted.
/// </summary>
internal static class HelperWire
{
    public const ushort Version = 1;
    public const int MaxFrame = (1 << 20) + 1024;
    public const int ChunkSize = 256 * 1024;
    public const int MaxPathBytes = 4096;
    public const int HashBytes = 16;

    public const byte Hello = 0x01, List = 0x02, Read = 0x03, WriteBegin = 0x04, WriteChunk = 0x05, WriteEnd = 0x06;
    public const byte Delete = 0x07, Watch = 0x08, Git = 0x09, Mkdir = 0x0A;
    public const byte Error = 0x7F, HelloOk = 0x81, Entry = 0x82, ListEnd = 0x83, Data = 0x84, ReadEnd = 0x85, Ok = 0x86;
    public const byte Event = 0x87, Overflow = 0x88, GitEnd = 0x89, WatchStarted = 0x8A;
}

/// <summary>Error codes of the helper's Error frame.</summary>
internal enum HelperErrorCode : ushort
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

/// <summary>One frame as received: type, request id, payload (already bounded by <see cref="HelperWire.MaxFrame"/>).</summary>
internal readonly record struct HelperFrame(byte Type, uint Id, byte[] Payload);
