namespace Paude.Credentials;

/// <summary>What a package entry is.</summary>
public enum CredentialEntryKind
{
    /// <summary>A regular file (content hashed).</summary>
    File,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link kept as a link (its target stays inside the package).</summary>
    Symlink,
}

/// <summary>One entry of a credential package. Never carries content, so it is safe to print.</summary>
/// <param name="Path">The '/'-separated path inside the package.</param>
/// <param name="Kind">File, directory or symlink.</param>
/// <param name="Size">The content length in bytes (0 for directories and links).</param>
/// <param name="Mode">The permission bits as packaged.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the content (files only).</param>
/// <param name="Secret">Whether the content is a secret rather than plain configuration.</param>
/// <param name="LinkTarget">The relative link target (symlinks only).</param>
/// <param name="Source">The name of the source that contributed the entry.</param>
public sealed record CredentialManifestEntry(
    string Path, CredentialEntryKind Kind, long Size, UnixFileMode Mode, string? Sha256, bool Secret, string? LinkTarget, string Source);

/// <summary>The manifest of a credential package: every entry with its hash, in archive order.</summary>
/// <param name="Sources">The sources packaged, in request order.</param>
/// <param name="Entries">Every entry, in archive order.</param>
public sealed record CredentialManifest(IReadOnlyList<string> Sources, IReadOnlyList<CredentialManifestEntry> Entries)
{
    /// <summary>The archive entry holding the JSON manifest (written last).</summary>
    public const string JsonFileName = ".paude-manifest.json";

    /// <summary>The archive entry holding <c>sha256sum -c</c> lines for every file (written last).</summary>
    public const string Sha256FileName = ".paude-manifest.sha256";

    /// <summary>The archive entry listing <c>kind mode path [target]</c> per entry, for the restore step.</summary>
    public const string EntriesFileName = ".paude-manifest.entries";

    /// <summary>The total content size in bytes.</summary>
    public long TotalSize => Entries.Sum(e => e.Size);
}
