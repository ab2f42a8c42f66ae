namespace Paude.SessionHelper.Protocol;

/// <summary>Every bound of the protocol in one place (PROTOCOL.md, "Limits"); both sides enforce them.</summary>
internal static class Limits
{
    public const ushort ProtocolVersion = 1;
    /// <summary>Frame length field (type + id + payload) may not exceed this.</summary>
    public const int MaxFrame = (1 << 20) + 1024;
    /// <summary>Bytes of file content per <see cref="MessageType.Data"/> / <see cref="MessageType.WriteChunk"/> frame.</summary>
    public const int ChunkSize = 256 * 1024;
    public const int MaxPathBytes = 4096;
    public const int MaxComponentBytes = 255;
    public const int MaxListItems = 1024;
    public const int MaxGitArgs = 64;
    public const int MaxGitStderr = 64 * 1024;
    public const int HashBytes = 16;
}
