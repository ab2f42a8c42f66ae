namespace Paude.Credentials.Packaging;

/// <summary>One archive entry decided by <see cref="PackagePlanner"/>; content is read only when writing.</summary>
internal sealed record PlannedEntry(
    string Path,
    CredentialEntryKind Kind,
    UnixFileMode Mode,
    bool Secret,
    string Source,
    string? HostPath = null,
    ReadOnlyMemory<byte>? Content = null,
    string? LinkTarget = null);
